"""The one build orchestrator: corpus files to a committed index directory.

    corpus/ ─ sources (extract) ─ ingest + resolve (initiatives) ─ chunking ─ embedding
            ─ catalogue + vectors + backend ─ store (manifest, checksums, atomic swap)

Incremental by construction: a report whose file is unchanged reuses its extracted text
from the previous index, and a chunk whose indexed text (and model) is unchanged reuses its
vector, so adding, changing or removing one report embeds only the chunks that changed;
the manifest says how many were embedded and reused. A full rebuild and any sequence of
incremental builds give the same index.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from . import ingest, sources, store
from .catalog import FILE as CATALOG_FILE
from .catalog import Catalog, write_catalog
from .chunking import chunk_initiative
from .corpus import fingerprint, load_reports
from .councils import place_key
from .embedding import Embedder
from .engine import ChunkRecord, build_backend
from .errors import CouncilQAError
from .models import BuildConfig, Chunk, Initiative, Report
from .resolve import parse_corpus
from .support import document_frequencies
from .text import TOKENIZER_VERSION, token_counter

Log = Callable[[str], None]


@dataclass(frozen=True)
class Previous:
    """What a rebuild may reuse from the index it replaces."""

    texts: dict[str, tuple[str, str, tuple[int, ...]]]  # source -> (sha256, text, pages)
    vectors: dict[str, np.ndarray]  # chunk text hash -> vector
    onnx: Path | None = None  # the query model's export, when of the same model


def expected_manifest(config: BuildConfig, reports: Sequence[Report]) -> dict[str, Any]:
    """The manifest fields that must match for an index to be current."""
    return {
        "format_version": store.FORMAT_VERSION,
        "parser_version": ingest.PARSER_VERSION,
        "tokenizer": TOKENIZER_VERSION,
        "model": config.model,
        "chunker": {
            "encoding": config.encoding,
            "chunk_tokens": config.chunk_tokens,
            "chunk_overlap": config.chunk_overlap,
            "header": config.chunk_header,
        },
        "backend": config.backend,
        "corpus": fingerprint(list(reports)),
    }


def index_status(corpus_dir: Path, index_dir: Path, config: BuildConfig) -> list[str]:
    """Why the index must be (re)built; empty when it is current and intact."""
    try:
        manifest = store.read_manifest(index_dir)
        store.verify(index_dir, manifest)
    except CouncilQAError as exc:
        return [str(exc)]
    return store.stale_reasons(manifest, expected_manifest(config, load_reports(corpus_dir)))


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    config: BuildConfig,
    embedder: Embedder,
    log: Log = print,
    fresh: Mapping[str, sources.Extracted] | None = None,
) -> dict[str, Any]:
    """Extract, parse, chunk, embed (only what changed) and commit the index atomically.

    `fresh` holds reports already extracted by the caller (`councilqa add` extracts a file
    to check it before copying it in), so they are not extracted twice."""
    started = time.perf_counter()
    reports = load_reports(corpus_dir)
    previous = _previous(index_dir, config)
    unchanged = {r.source for r in reports if previous.texts.get(r.source, ("",))[0] == r.sha256}
    for source, found in (fresh or {}).items():
        previous.texts[source] = (_sha(reports, source), found.text, found.page_starts)
    extracted = {r.source: _extract(corpus_dir, r, previous, log) for r in reports}
    texts = {s: e[0] for s, e in extracted.items()}
    initiatives = [_paged(i, extracted[i.source][1]) for i in parse_corpus(texts)]
    chunks = _chunks(initiatives, texts, config, embedder)
    hashes = [_text_hash(config.model, c.indexed_text) for c in chunks]
    vectors = _vectors(chunks, hashes, previous, embedder)
    build = store.BuildDir(index_dir)
    try:
        manifest = _write(
            build.path, corpus_dir, reports, extracted, initiatives, chunks, hashes, vectors, config
        )
        manifest["query_embedder"] = _query_model(embedder, build.path / "onnx", previous.onnx)
        manifest |= {
            "embedded": _embedded(chunks, hashes, previous, unchanged),
            "build_seconds": round(time.perf_counter() - started, 2),
        }
        build.commit(manifest)
    finally:
        build.close()
    return manifest


def _previous(index_dir: Path, config: BuildConfig) -> Previous:
    """Texts and vectors of the current index, when it is intact and of the same model."""
    try:
        manifest = store.read_manifest(index_dir)
        store.verify(index_dir, manifest)
        catalog = Catalog(index_dir / CATALOG_FILE)
    except CouncilQAError:
        return Previous({}, {})
    texts = {
        r.source: (r.sha256, catalog.text(r.source), catalog.page_starts(r.source))
        for r in catalog.reports
    }
    if manifest.get("model") != config.model:
        return Previous(texts, {})
    stored = np.load(index_dir / "vectors.npy", mmap_mode="r")
    onnx = index_dir / "onnx" if (index_dir / "onnx" / "model.onnx").is_file() else None
    return Previous(texts, {h: stored[row] for h, row in catalog.text_hashes().items()}, onnx)


def _extract(
    corpus_dir: Path, report: Report, previous: Previous, log: Log
) -> tuple[str, tuple[int, ...]]:
    """A report's text and page starts: reused when its file is unchanged, else extracted."""
    old = previous.texts.get(report.source)
    if old and old[0] == report.sha256:
        return old[1], old[2]
    log(f"extracting {report.source}")
    found = sources.extract(corpus_dir / report.source)
    return found.text, found.page_starts


def _paged(item: Initiative, page_starts: tuple[int, ...]) -> Initiative:
    pages = sources.page_range(page_starts, item.start, item.end)
    return replace(item, pages=pages) if pages else item


def _chunks(
    initiatives: list[Initiative], texts: dict[str, str], config: BuildConfig, embedder: Embedder
) -> list[Chunk]:
    count = token_counter(config.encoding)
    fits = model_fits(embedder)
    chunks: list[Chunk] = []
    for item in initiatives:
        chunks += chunk_initiative(
            item,
            texts[item.source],
            count,
            config.chunk_tokens,
            config.chunk_overlap,
            config.chunk_header,
            fits,
        )
    return chunks


def model_fits(embedder: Embedder) -> Callable[[str], bool] | None:
    """A check that the model reads a text whole, when the embedder can count its tokens."""
    count = getattr(embedder, "count_tokens", None)
    limit = getattr(embedder, "max_seq_length", None)
    if count is None or limit is None:
        return None
    return lambda text: count(text) <= limit


def _text_hash(model: str, text: str) -> str:
    return hashlib.sha1(f"{model}\n{text}".encode()).hexdigest()


def _sha(reports: list[Report], source: str) -> str:
    return next((r.sha256 for r in reports if r.source == source), "")


def _embedded(
    chunks: list[Chunk], hashes: list[str], previous: Previous, unchanged: set[str]
) -> dict[str, Any]:
    """How many chunks were embedded and reused, and which unchanged reports had chunks
    re-embedded (a step across reports, council names, or a parser change altered them)."""
    new: dict[str, int] = {}
    for chunk, h in zip(chunks, hashes, strict=True):
        if h not in previous.vectors:
            new[chunk.source] = new.get(chunk.source, 0) + 1
    total = sum(new.values())
    return {
        "new": total,
        "reused": len(chunks) - total,
        "by_report": new,
        "unchanged_reports": {s: n for s, n in new.items() if s in unchanged and previous.vectors},
    }


def _vectors(
    chunks: list[Chunk], hashes: list[str], previous: Previous, embedder: Embedder
) -> np.ndarray:
    """Every chunk's vector: reused by text hash, the rest embedded in one batch."""
    todo = [i for i, h in enumerate(hashes) if h not in previous.vectors]
    new = embedder.embed([chunks[i].indexed_text for i in todo]) if todo else None
    dim = new.shape[1] if new is not None else next(iter(previous.vectors.values())).shape[0]
    vectors = np.zeros((len(chunks), dim), dtype=np.float32)
    for i, h in enumerate(hashes):
        if h in previous.vectors:
            vectors[i] = previous.vectors[h]
    if new is not None:
        vectors[todo] = new
    return vectors


def _write(
    target: Path,
    corpus_dir: Path,
    reports: list[Report],
    extracted: dict[str, tuple[str, tuple[int, ...]]],
    initiatives: list[Initiative],
    chunks: list[Chunk],
    hashes: list[str],
    vectors: np.ndarray,
    config: BuildConfig,
) -> dict[str, Any]:
    """Write every file of the new index into `target`; returns the manifest (no files yet)."""
    rows = [(r, *extracted[r.source]) for r in reports]
    texts = {r.source: extracted[r.source][0] for r in reports}
    _, terms = document_frequencies(i.full_text(texts[i.source]) for i in initiatives)
    write_catalog(target / CATALOG_FILE, rows, initiatives, zip(chunks, hashes, strict=True), terms)
    np.save(target / "vectors.npy", vectors)
    (target / "files").mkdir()
    for report in reports:
        shutil.copyfile(corpus_dir / report.source, target / "files" / report.source)
    backend = _build_backend(target, initiatives, chunks, vectors, config)
    return expected_manifest(config, reports) | {
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dimension": int(vectors.shape[1]) if len(vectors) else 0,
        "counts": {"reports": len(reports), "initiatives": len(initiatives), "chunks": len(chunks)},
        "reports": [asdict(r) for r in reports],
        "backend_info": backend,
        "versions": _versions(),
    }


def _build_backend(
    target: Path,
    initiatives: list[Initiative],
    chunks: list[Chunk],
    vectors: np.ndarray,
    config: BuildConfig,
) -> dict[str, Any]:
    by_id = {i.id: i for i in initiatives}
    records = [_record(c, by_id[c.initiative_id]) for c in chunks]
    directory = target / "backend"
    directory.mkdir()
    return build_backend(config.backend, directory, records, vectors, config.qdrant_url)


def _record(chunk: Chunk, item: Initiative) -> ChunkRecord:
    councils = tuple(dict.fromkeys(place_key(c) for c in item.councils))
    return ChunkRecord(chunk.id, item.id, chunk.indexed_text, councils, item.source, item.section)


def _query_model(embedder: Embedder, target: Path, old: Path | None) -> str:
    """Reuse the previous ONNX export of the same model, else export it anew."""
    from .embedding import LazyEmbedder, SentenceTransformerEmbedder, export_onnx

    if old is not None:
        shutil.copytree(old, target)
        return "onnx"
    model = embedder.model if isinstance(embedder, LazyEmbedder) else embedder
    if isinstance(model, SentenceTransformerEmbedder) and export_onnx(model, target):
        return "onnx"
    return "sentence-transformers"


def _versions() -> dict[str, str]:
    names = [
        "councilqa",
        "faiss-cpu",
        "bm25s",
        "qdrant-client",
        "sentence-transformers",
        "torch",
        "tiktoken",
        "pdfplumber",
        "trafilatura",
        "python-docx",
    ]
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "unknown"
    return found
