"""Retrieval engines behind one seam: `Retriever`, query in, chunk ids and scores out.

A backend is a pair of retrievers (lexical and dense) opened from the index directory;
the search pipeline fuses their rankings and never knows which engine answered. Adding a
backend means writing one module with `build(directory, records, vectors)` and
`open_backend(directory)` functions and naming it in settings (COUNCILQA_BACKEND, a
`BACKENDS` name or a module path); nothing in `search`, `answer` or `api` changes.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import numpy as np

from ..errors import ConfigError
from ..models import Filters


def load_mapped(path: Path) -> np.ndarray:
    """A saved array, memory-mapped (read from disk on use, never loaded whole), as a plain
    read-only ndarray: slicing a `np.memmap` costs 8x more (its __array_finalize__), and
    a query slices posting lists many times."""
    return np.asarray(np.load(path, mmap_mode="r"))


class Retriever(Protocol):
    """Ranks chunks for a query; higher score = better; honours filters before ranking."""

    def search(
        self, query: str, query_vector: np.ndarray | None, filters: Filters, k: int
    ) -> Sequence[tuple[str, float]]:
        """Up to k (chunk_id, score) pairs, best first, among chunks passing `filters`."""
        ...


@dataclass(frozen=True)
class ChunkRecord:
    """What a backend indexes for one chunk: its id, the text BM25 reads (header + chunk
    text), and the fields filters select on. Councils are place keys (councils.place_key)."""

    id: str
    initiative_id: str
    text: str
    councils: tuple[str, ...]
    source: str
    section: str


@dataclass(frozen=True)
class Backend:
    """An opened backend: the lexical and the dense retriever over one set of chunks.

    Filters passed to them are already resolved by the search pipeline: councils as place
    keys, sources and sections as exact names."""

    lexical: Retriever
    dense: Retriever


# name -> module: the backends COUNCILQA_BACKEND can name. A dotted module path also works,
# so a new backend is one module with `build(...)` and `open_backend(...)`, named in settings.
BACKENDS = {"local": "councilqa.engine.local", "qdrant": "councilqa.engine.qdrant"}


def backend_module(name: str) -> ModuleType:
    """The module implementing backend `name` (a BACKENDS key or a dotted module path)."""
    path = BACKENDS.get(name, name)
    if "." not in path:
        raise ConfigError(
            f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}, or a module path"
        )
    try:
        return import_module(path)
    except ImportError as exc:
        raise ConfigError(f"backend {name!r} cannot be imported: {exc}") from exc


def build_backend(
    name: str,
    directory: Path,
    records: Sequence[ChunkRecord],
    vectors: np.ndarray,
    url: str | None = None,
) -> dict[str, Any]:
    """Build backend `name`'s files in `directory`; returns what the manifest records."""
    build = backend_module(name).build
    extra = {"url": url} if "url" in inspect.signature(build).parameters else {}
    return build(directory, records, vectors, **extra)


def open_backend(name: str, directory: Path, url: str | None = None) -> Backend:
    """Open what `build_backend` wrote."""
    opener = backend_module(name).open_backend
    extra = {"url": url} if "url" in inspect.signature(opener).parameters else {}
    return opener(directory, **extra)
