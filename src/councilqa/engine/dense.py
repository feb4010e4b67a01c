"""Dense retrieval with FAISS: exact inner product on small indexes, HNSW on large ones.

Cosine = unit vectors + inner product: the builder normalises, so every score here is a
cosine. The raw vectors are stored once, as the flat storage inside the FAISS file, opened
with IO_FLAG_MMAP_IFC (memory-mapped, nothing read at start) and exposed as a numpy view, so
a filtered search over a small allowed set scores exactly those rows by brute force (fast
and exact), while a large allowed set goes through HNSW with a bitmap selector. A second
.npy copy would double the disk and the page cache for no gain.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import faiss
import numpy as np

from ..models import Filters
from .rowfilter import RowFilter, best

_INDEX = "dense.faiss"
_PARAMS = "dense.json"


@dataclass(frozen=True)
class DenseParams:
    """How the dense index is built and searched; chosen by bench/scale_engine.py."""

    flat_below: int = 50_000  # an exact IndexFlatIP under this many chunks, HNSW from it
    m: int = 32  # HNSW neighbours per node
    ef_construction: int = 80
    ef_search: int = 64
    brute_force_below: int = 40_000  # filtered searches over fewer rows score them exactly


def build_dense(directory: Path, vectors: np.ndarray, params: DenseParams | None = None) -> dict:
    """Write the FAISS index of `vectors` (unit float32 rows) and its search parameters."""
    params = params or DenseParams()
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    if n < params.flat_below:
        index: Any = faiss.IndexFlatIP(dim)
    else:
        index = faiss.IndexHNSWFlat(dim, params.m, faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = params.ef_construction
        index.hnsw.efSearch = params.ef_search
    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building is batch work: use every core
    try:
        index.add(vectors)
    finally:
        faiss.omp_set_num_threads(threads)
    faiss.write_index(index, str(directory / _INDEX))
    kind = type(index).__name__
    description = {"kind": kind, "dimension": dim, "vectors": n, **params.__dict__}
    (directory / _PARAMS).write_text(json.dumps(description), encoding="utf-8")
    return {**description, "library": f"faiss {faiss.__version__}"}


@dataclass(frozen=True)
class DenseRetriever:
    """Nearest chunks by inner product of unit vectors, restricted to rows passing filters."""

    index: Any  # faiss.IndexFlatIP or faiss.IndexHNSWFlat, storage memory-mapped
    vectors: np.ndarray  # (n, dim) view of the index's storage; valid while `index` lives
    ids: np.ndarray
    rowfilter: RowFilter
    params: DenseParams

    def search(
        self, query: str, query_vector: np.ndarray | None, filters: Filters, k: int
    ) -> list[tuple[str, float]]:
        """Up to k (chunk_id, cosine) pairs, best first; [] without a query vector."""
        if query_vector is None or k <= 0 or len(self.ids) == 0:
            return []
        vector = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        allowed = self.rowfilter.allowed(filters)
        if allowed is None:
            rows, scores = self._index_search(vector, k, None)
        elif len(allowed) < self.params.brute_force_below or not self._is_hnsw:
            rows, scores = self.exact(vector, k, allowed)
        else:
            rows, scores = self._index_search(vector, k, allowed)
            if len(rows) < min(k, len(allowed)):  # the graph ran dry inside the filter
                rows, scores = self.exact(vector, k, allowed)
        return [(self.ids[r].decode(), float(s)) for r, s in zip(rows, scores, strict=True)]

    @property
    def _is_hnsw(self) -> bool:
        return isinstance(self.index, faiss.IndexHNSW)

    def exact(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best (rows, scores) by brute force over `allowed` rows (None = all)."""
        if allowed is None:
            allowed = np.arange(len(self.ids))
        return best(allowed, self.vectors[allowed] @ vector, k)

    def _index_search(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        k = min(k, len(self.ids))
        if not self._is_hnsw:
            scores, rows = self.index.search(vector[None, :], k)
        else:
            bitmap = None
            search_params = faiss.SearchParametersHNSW()  # type: ignore[attr-defined]
            search_params.efSearch = max(self.params.ef_search, k)
            if allowed is not None:
                bitmap = np.packbits(self.rowfilter.mask(allowed), bitorder="little")
                search_params.sel = faiss.IDSelectorBitmap(len(self.ids), faiss.swig_ptr(bitmap))
            scores, rows = self.index.search(vector[None, :], k, params=search_params)
            del bitmap  # the selector reads it during search only
        found = rows[0] >= 0
        return best(rows[0][found], scores[0][found], k)


def open_dense(directory: Path, ids: np.ndarray, rowfilter: RowFilter) -> DenseRetriever:
    """Open the FAISS index with its vectors memory-mapped (nothing is read or rebuilt)."""
    # One OpenMP thread: queries come one at a time, and on 2 cores a single query runs
    # 1.8-6.4x slower with 2 threads (thread start-up and contention dwarf the work).
    faiss.omp_set_num_threads(1)
    description = json.loads((directory / _PARAMS).read_text(encoding="utf-8"))
    fields = DenseParams.__dataclass_fields__
    params = DenseParams(**{key: description[key] for key in fields})
    flags = faiss.IO_FLAG_MMAP_IFC | faiss.IO_FLAG_READ_ONLY
    index = faiss.read_index(str(directory / _INDEX), flags)
    storage = faiss.downcast_index(index.storage) if isinstance(index, faiss.IndexHNSW) else index
    vectors = np.zeros((0, storage.d), dtype=np.float32)
    if storage.ntotal:
        size = storage.ntotal * storage.d
        start = storage.get_xb()  # type: ignore[attr-defined]
        vectors = faiss.rev_swig_ptr(start, size).reshape(storage.ntotal, storage.d)
    vectors.flags.writeable = False  # the mapping is read-only: a write would crash
    return DenseRetriever(index=index, vectors=vectors, ids=ids, rowfilter=rowfilter, params=params)
