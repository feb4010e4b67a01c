"""The naive baseline for the eval: plain 1000-character windows with 200 characters of
overlap, ignoring initiatives, searched with the same model, backend and fusion.

It exists only to show what chunking by initiative buys; it is built in a temporary
directory from the catalogue's texts and never written to index/.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import replace
from pathlib import Path

from ..catalog import Catalog, write_catalog
from ..embedding import Embedder
from ..engine import ChunkRecord
from ..engine import local as engine
from ..models import Chunk, Initiative, SearchParams, Span
from ..search import Searcher

WINDOW = 1000
OVERLAP = 200


def char_windows(length: int, size: int = WINDOW, overlap: int = OVERLAP) -> list[tuple[int, int]]:
    """[start, end) windows of `size` characters, each sharing `overlap` with the last."""
    step = size - overlap
    return [(s, min(s + size, length)) for s in range(0, max(length - overlap, 1), step)]


def naive_searcher(catalog: Catalog, embedder: Embedder, params: SearchParams) -> Searcher:
    """A Searcher over plain windows of the catalogue's texts; each window is its own
    pseudo-initiative, shown as it is (never widened: that would change the baseline)."""
    chunks, items = [], []
    for report in catalog.reports:
        text = catalog.text(report.source)
        for start, end in char_windows(len(text)):
            wid = hashlib.sha1(f"{report.source}:{start}".encode()).hexdigest()[:16]
            chunks.append(
                Chunk(wid, wid, report.source, start, end, text[start:end], text[start:end])
            )
            items.append(Initiative(wid, report.source, "", (), "", (Span(start, end),)))
    directory = Path(tempfile.mkdtemp(prefix="councilqa-naive-"))
    rows = [(r, catalog.text(r.source), ()) for r in catalog.reports]
    write_catalog(directory / "catalog.sqlite", rows, items, ((c, c.id) for c in chunks))
    vectors = embedder.embed([c.text for c in chunks])
    records = [ChunkRecord(c.id, c.id, c.text, (), c.source, "") for c in chunks]
    engine.build(directory / "backend", records, vectors)
    backend = engine.open_backend(directory / "backend")
    return Searcher(Catalog(directory / "catalog.sqlite"), backend, embedder,
                    replace(params, passage_chars=WINDOW))  # fmt: skip
