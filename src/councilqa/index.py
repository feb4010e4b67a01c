"""The index: a directory you can `ls`, built atomically and checked on load.

    index/manifest.json     what built it: format, model, chunker, BM25, corpus sha256s,
                            counts, library versions
    index/vectors.faiss     FAISS IndexFlatIP over unit vectors (inner product = cosine)
    index/chunks.jsonl      one chunk a line, in FAISS row order
    index/initiatives.jsonl one initiative a line
    index/sources/          the report texts it was built from (passages are cut from these)
    index/onnx/             the embedding model as ONNX, for queries (absent if it could not be
                            exported exactly; queries then use sentence-transformers)
    index/README.md         this layout, for whoever runs `ls index/`

BM25 is not stored: it is rebuilt from chunks.jsonl at load in milliseconds, so nothing is
pickled. A build writes a sibling temporary directory and swaps it in with renames, so a
crash or kill during a build leaves the previous index serving.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import faiss

from .chunking import chunk_initiative, token_counter
from .corpus import fingerprint, load_reports, read_source
from .embedding import Embedder
from .errors import IndexLoadError
from .ingest import load_initiatives
from .models import Chunk, Initiative, Report, Span

FORMAT_VERSION = 1
_FILES = ("manifest.json", "vectors.faiss", "chunks.jsonl", "initiatives.jsonl")
_README = __doc__ or ""


@dataclass(frozen=True)
class BuildConfig:
    """Everything that decides the index's content; recorded in and checked against the manifest."""

    model: str
    encoding: str
    chunk_tokens: int
    chunk_overlap: int
    chunk_header: bool
    bm25_variant: str


@dataclass(frozen=True)
class LoadedIndex:
    """An index read from disk: chunks in FAISS row order, initiatives by id, vectors."""

    manifest: dict[str, Any]
    reports: tuple[Report, ...]
    chunks: tuple[Chunk, ...]
    initiatives: dict[str, Initiative]
    faiss_index: Any
    texts: dict[str, str]  # source -> the exact text the offsets refer to


def parser_version() -> str:
    """A hash of the parsing and chunking code: changing the rules makes an index stale."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("ingest.py", "councils.py", "chunking.py"):
        digest.update((here / name).read_bytes())
    return digest.hexdigest()[:16]


def _versions() -> dict[str, str]:
    names = ["councilqa", "faiss-cpu", "sentence-transformers", "torch", "rank-bm25", "tiktoken"]
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "unknown"
    return found


def expected_manifest(config: BuildConfig, reports: list[Report]) -> dict[str, Any]:
    """The manifest fields that must match for an index to be current."""
    return {
        "format_version": FORMAT_VERSION,
        "parser_version": parser_version(),
        "model": config.model,
        "chunker": {
            "encoding": config.encoding,
            "chunk_tokens": config.chunk_tokens,
            "chunk_overlap": config.chunk_overlap,
            "header": config.chunk_header,
        },
        "bm25": {"variant": config.bm25_variant, "tokenizer": "lowercase-words-stopwords"},
        "corpus": fingerprint(reports),
    }


def stale_reasons(manifest: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """What differs between an index's manifest and what the settings and corpus ask for."""
    reasons = []
    for key, want in expected.items():
        have = manifest.get(key)
        if key == "corpus" and isinstance(have, dict):
            for source in sorted(set(want) | set(have)):
                if source not in have:
                    reasons.append(f"corpus/{source} is new since the index was built")
                elif source not in want:
                    reasons.append(f"corpus/{source} was removed since the index was built")
                elif have[source] != want[source]:
                    reasons.append(f"corpus/{source} changed since the index was built")
        elif have != want:
            reasons.append(f"{key} is {have!r} in the index but {want!r} in the settings")
    return reasons


def build_chunks(
    corpus_dir: Path,
    initiatives: list[Initiative],
    config: BuildConfig,
    fits: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    """Chunk every initiative with the configured window, overlap and header.

    `fits` says whether the embedding model reads a text whole; an initiative whose
    chunks do not all fit is chunked again with smaller windows, so no word is dropped.
    """
    count = token_counter(config.encoding)
    chunks: list[Chunk] = []
    for item in initiatives:
        text = read_source(corpus_dir, item.source)
        size = config.chunk_tokens
        while True:
            overlap = min(config.chunk_overlap, size // 4)
            parts = chunk_initiative(item, text, count, size, overlap, config.chunk_header)
            if fits is None or size <= 48 or all(fits(c.indexed_text) for c in parts):
                break
            size = int(size * 0.85)
        chunks += parts
    return chunks


def model_fits(embedder: Embedder) -> Callable[[str], bool] | None:
    """A check that the model reads a text whole, when the embedder can count its tokens."""
    count = getattr(embedder, "count_tokens", None)
    limit = getattr(embedder, "max_seq_length", None)
    if count is None or limit is None:
        return None
    return lambda text: count(text) <= limit


def build_index(
    corpus_dir: Path, index_dir: Path, config: BuildConfig, embedder: Embedder
) -> dict[str, Any]:
    """Parse, chunk, embed and write the index atomically; returns the new manifest."""
    started = time.perf_counter()
    reports = load_reports(corpus_dir)
    initiatives = load_initiatives(corpus_dir, reports)
    chunks = build_chunks(corpus_dir, initiatives, config, model_fits(embedder))
    vectors = embedder.embed([c.indexed_text for c in chunks])
    manifest = expected_manifest(config, reports) | {
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "dimension": int(vectors.shape[1]),
        "counts": {"reports": len(reports), "initiatives": len(initiatives), "chunks": len(chunks)},
        "reports": [asdict(r) for r in reports],
        "versions": _versions(),
    }
    index = faiss.IndexFlatIP(vectors.shape[1])
    index.add(vectors)
    index_dir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.build-", dir=index_dir.parent))
    try:
        faiss.write_index(index, str(tmp / "vectors.faiss"))
        _write_jsonl(tmp / "chunks.jsonl", (asdict(c) for c in chunks))
        _write_jsonl(tmp / "initiatives.jsonl", (asdict(i) for i in initiatives))
        (tmp / "README.md").write_text(_README, encoding="utf-8")
        manifest["query_embedder"] = _export(embedder, tmp / "onnx")
        (tmp / "sources").mkdir()
        for report in reports:
            text = read_source(corpus_dir, report.source)
            (tmp / "sources" / report.source).write_text(text, encoding="utf-8", newline="")
        manifest["build_seconds"] = round(time.perf_counter() - started, 2)
        # The manifest is written last: a directory without one was never finished.
        (tmp / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        _swap(tmp, index_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return manifest


def _export(embedder: Embedder, target: Path) -> str:
    from .embedding import SentenceTransformerEmbedder, export_onnx

    if isinstance(embedder, SentenceTransformerEmbedder) and export_onnx(embedder, target):
        return "onnx"
    return "sentence-transformers"


def query_embedder(index_dir: Path, model_name: str, batch_size: int = 32) -> Embedder:
    """The embedder for queries: the index's ONNX export if it has one, else the model."""
    from .embedding import OnnxEmbedder, SentenceTransformerEmbedder

    if (index_dir / "onnx" / "model.onnx").is_file():
        try:
            return OnnxEmbedder(index_dir / "onnx")
        except Exception as exc:  # a damaged export: the model itself still works
            raise IndexLoadError(
                f"{index_dir}/onnx is corrupted ({exc}): rebuild the index"
            ) from exc
    return SentenceTransformerEmbedder(model_name, batch_size=batch_size)


def _write_jsonl(path: Path, rows) -> None:
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _swap(new: Path, target: Path) -> None:
    """Replace `target` by `new` with two renames; `recover` undoes a crash between them."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def recover(index_dir: Path) -> None:
    """Put back the previous index if a build died between its two renames."""
    old = index_dir.with_name(f".{index_dir.name}.old")
    if not (index_dir / "manifest.json").exists() and (old / "manifest.json").exists():
        shutil.rmtree(index_dir, ignore_errors=True)
        old.rename(index_dir)


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The manifest of the index in `index_dir`; IndexLoadError if missing or unreadable."""
    recover(index_dir)
    path = index_dir / "manifest.json"
    if not path.is_file():
        raise IndexLoadError(f"no index in {index_dir}/: run `councilqa index` to build it")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexLoadError(
            f"{path} is corrupted ({exc}): run `councilqa index` to rebuild"
        ) from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexLoadError(
            f"{path} is not a councilqa index of format {FORMAT_VERSION}: rebuild it"
        )
    return manifest


def load_index(index_dir: Path) -> LoadedIndex:
    """Read and check every file of the index; IndexLoadError names what is wrong."""
    manifest = read_manifest(index_dir)
    try:
        chunks = tuple(Chunk(**row) for row in _read_jsonl(index_dir / "chunks.jsonl"))
        initiatives = {
            row["id"]: _initiative(row) for row in _read_jsonl(index_dir / "initiatives.jsonl")
        }
        vectors = faiss.read_index(str(index_dir / "vectors.faiss"))
    except (OSError, ValueError, TypeError, KeyError, RuntimeError) as exc:
        raise IndexLoadError(
            f"the index in {index_dir}/ is corrupted ({exc}): run `councilqa index` to rebuild"
        ) from exc
    counts = manifest.get("counts", {})
    if vectors.ntotal != len(chunks) or counts.get("chunks") != len(chunks):
        raise IndexLoadError(
            f"the index in {index_dir}/ is inconsistent: {vectors.ntotal} vectors, {len(chunks)} "
            f"chunks, manifest says {counts.get('chunks')}; run `councilqa index` to rebuild"
        )
    if counts.get("initiatives") != len(initiatives):
        raise IndexLoadError(f"the index in {index_dir}/ lost initiatives: rebuild it")
    try:
        reports = tuple(Report(**row) for row in manifest["reports"])
        texts = {
            r.source: (index_dir / "sources" / r.source).read_text(encoding="utf-8")
            for r in reports
        }
    except (KeyError, TypeError, OSError, UnicodeDecodeError) as exc:
        raise IndexLoadError(
            f"the index in {index_dir}/ is incomplete ({exc}): rebuild it"
        ) from exc
    return LoadedIndex(manifest, reports, chunks, initiatives, vectors, texts)


def _initiative(row: dict[str, Any]) -> Initiative:
    spans = tuple(Span(**span) for span in row["spans"])
    return Initiative(**(row | {"spans": spans, "councils": tuple(row["councils"])}))


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]
