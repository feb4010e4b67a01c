"""The naive baseline for the eval: plain 1000-character windows with 200 characters of
overlap, ignoring initiatives, searched with the same model, BM25 variant and fusion.

It exists only to show what chunking by initiative buys; it is built in memory and never
written to index/.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import faiss

from .corpus import load_reports, read_source
from .embedding import Embedder
from .index import LoadedIndex
from .models import Chunk, Initiative, SearchParams, Span
from .retrieval import Searcher

WINDOW = 1000
OVERLAP = 200


def char_windows(length: int, size: int = WINDOW, overlap: int = OVERLAP) -> list[tuple[int, int]]:
    """[start, end) windows of `size` characters, each sharing `overlap` with the last."""
    step = size - overlap
    return [(s, min(s + size, length)) for s in range(0, max(length - overlap, 1), step)]


def naive_searcher(
    corpus_dir: Path, embedder: Embedder, params: SearchParams | None = None
) -> Searcher:
    """A Searcher over plain windows; each window is its own pseudo-initiative."""
    reports = load_reports(corpus_dir)
    chunks, initiatives, texts = [], {}, {}
    for report in reports:
        text = texts[report.source] = read_source(corpus_dir, report.source)
        for start, end in char_windows(len(text)):
            wid = hashlib.sha1(f"{report.source}:{start}".encode()).hexdigest()[:16]
            chunks.append(
                Chunk(wid, wid, report.source, start, end, text[start:end], text[start:end])
            )
            initiatives[wid] = Initiative(wid, report.source, "", (), "", (Span(start, end),))
    vectors = embedder.embed([c.indexed_text for c in chunks])
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    loaded = LoadedIndex(
        {"baseline": "naive"}, tuple(reports), tuple(chunks), initiatives, index, texts
    )
    # Windows are shown as they are: widening them would change the baseline.
    return Searcher(loaded, embedder, replace(params or SearchParams(), passage_chars=0))
