"""The service: an opened index (catalogue, backend, query embedder, searcher, answerer),
used by the API, the CLI and the eval alike, and a holder that swaps in a newer one.

`Service` is immutable once opened. `ServiceHolder` gives each request the current one:
between requests it looks (at most every `reload_interval_s`) for a newer committed index
(a changed manifest) and swaps atomically; requests in flight finish on the old one. When
the index on disk cannot be opened it keeps serving the last good one, marked degraded
with the reason, and tries that index again only once one of its files changes (opening
checks every file's checksum: not work to repeat every few seconds on a request's time);
with none at all, `current()` raises IndexLoadError (HTTP 503).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import store
from .answer import Answerer
from .catalog import FILE as CATALOG_FILE
from .catalog import Catalog
from .config import Settings, llm_config, search_params
from .embedding import BatchingEmbedder, Embedder
from .engine import Backend, open_backend
from .errors import CouncilQAError, IndexLoadError
from .llm import OpenAIChat
from .search import Searcher

log = logging.getLogger("councilqa")


@dataclass(frozen=True)
class Service:
    """Everything a query needs, opened once from one committed index."""

    manifest: dict[str, Any]
    catalog: Catalog
    searcher: Searcher
    answerer: Answerer
    stamp: tuple[int, int]  # (mtime_ns, size) of the manifest it was opened from


def query_embedder(index_dir: Path, model_name: str, batch_size: int = 32) -> Embedder:
    """The embedder for queries: the index's ONNX export if it has one, else the model."""
    from .embedding import OnnxEmbedder, SentenceTransformerEmbedder

    if (index_dir / "onnx" / "model.onnx").is_file():
        try:
            return OnnxEmbedder(index_dir / "onnx")
        except Exception as exc:  # onnxruntime raises many kinds for a damaged file
            raise IndexLoadError(f"{index_dir}/onnx is corrupted ({exc}): rebuild") from exc
    return SentenceTransformerEmbedder(model_name, batch_size=batch_size)


def build_embedder(settings: Settings) -> Embedder:
    """The embedder builds use (index, add, upload, remove): the settings' model, loaded
    only when a chunk must be embedded."""
    from .embedding import LazyEmbedder

    return LazyEmbedder(settings.model_name, settings.embedding_batch_size)


def open_engine(index_dir: Path, manifest: dict[str, Any], settings: Settings) -> Backend:
    """The index's backend, opened by the module its manifest names."""
    name = manifest.get("backend", "local")
    try:
        return open_backend(name, index_dir / "backend", settings.qdrant_url)
    except CouncilQAError:
        raise
    except Exception as exc:  # engines raise their own kinds for damaged files
        raise IndexLoadError(
            f"{index_dir}/backend ({name}) cannot be opened ({exc}): rebuild"
        ) from exc


def open_service(settings: Settings, embedder: Embedder | None = None) -> Service:
    """Open the index in settings.index_dir, checking its checksums; IndexLoadError names
    what is wrong. `embedder` may be passed in (tests share one)."""
    index_dir = settings.index_dir
    manifest = store.read_manifest(index_dir)
    stamp = _stamp(index_dir)
    store.verify(index_dir, manifest)
    catalog = Catalog(index_dir / CATALOG_FILE)
    backend = open_engine(index_dir, manifest, settings)
    # Concurrent requests' queries are embedded together (see BatchingEmbedder).
    embedder = embedder or BatchingEmbedder(query_embedder(index_dir, settings.model_name))
    searcher = Searcher(catalog, backend, embedder, search_params(settings))
    return Service(manifest, catalog, searcher, answerer(settings), stamp)


def answerer(settings: Settings) -> Answerer:
    """The answerer the settings configure (with the LLM client when one is set)."""
    config = llm_config(settings)
    llm = OpenAIChat(config) if config else None
    return Answerer(llm, settings.abstain_min_dense, settings.llm_context_tokens, settings.encoding)


def _stamp(index_dir: Path) -> tuple[int, int]:
    try:
        info = (index_dir / "manifest.json").stat()
    except OSError:
        return (0, 0)
    return (info.st_mtime_ns, info.st_size)


def _files_stamp(index_dir: Path) -> tuple[tuple[str, int, int], ...]:
    """(path, mtime_ns, size) of every file of the index but the report originals under
    files/ (a few dozen stat calls): what changes when an index is rebuilt or repaired."""
    found = []
    stack = [index_dir]
    while stack:
        try:
            entries = list(os.scandir(stack.pop()))
        except OSError:
            continue
        for entry in entries:
            if entry.is_dir(follow_symlinks=False) and entry.name != "files":
                stack.append(Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                info = entry.stat(follow_symlinks=False)
                found.append((entry.path, info.st_mtime_ns, info.st_size))
    return tuple(sorted(found))


class ServiceHolder:
    """The current Service, reloaded when a newer index is committed; thread-safe."""

    def __init__(self, settings: Settings, embedder: Embedder | None = None) -> None:
        self.settings = settings
        self._embedder = embedder
        self._lock = threading.Lock()
        self._reloading = threading.Lock()  # one reload at a time; other requests go on
        self._service: Service | None = None
        self._checked = 0.0
        self._failed: tuple | None = None  # the files of the index that last failed to open
        self.problem = ""  # why the index on disk is not the one served, when it is not
        self.corpus_problem = ""  # why corpus/ could not be indexed (the index may be fine)
        self.reload()

    def reload(self) -> None:
        """Open the index on disk and make it current; on failure keep the last good one."""
        attempt = _files_stamp(self.settings.index_dir)
        try:
            service = open_service(self.settings, self._embedder)
        except CouncilQAError as exc:
            self.problem, self._failed = str(exc), attempt
            log.error("index not loaded: %s", exc)
            return
        with self._lock:
            self._service, self.problem, self._failed = service, "", None

    def current(self) -> Service:
        """The service to answer this request with; IndexLoadError when there is none."""
        self._maybe_reload()
        service = self._service
        if service is None:
            also = f"; {self.corpus_problem}" if self.corpus_problem else ""
            raise IndexLoadError(f"no usable index: {self.problem}{also}")
        return service

    def _maybe_reload(self) -> None:
        interval = self.settings.reload_interval_s
        now = time.monotonic()
        if not interval or now - self._checked < interval:
            return
        self._checked = now
        index_dir = self.settings.index_dir
        if self._service is not None and _stamp(index_dir) == self._service.stamp:
            return
        if self._failed is not None and _files_stamp(index_dir) == self._failed:
            return  # this index failed to open and nothing in it has changed since
        if self._reloading.acquire(blocking=False):  # else another request is reloading
            try:
                self.reload()
            finally:
                self._reloading.release()

    def health(self) -> dict[str, Any]:
        """ok / degraded / unavailable, with the reason and what is served."""
        service = self._service
        problems = "; ".join(p for p in (self.problem, self.corpus_problem) if p)
        status = "ok" if service and not problems else ("degraded" if service else "unavailable")
        manifest = service.manifest if service else {}
        return {
            "status": status,
            "problem": problems or None,
            "model": manifest.get("model"),
            "backend": manifest.get("backend"),
            "built_at": manifest.get("built_at"),
            "counts": manifest.get("counts"),
        }
