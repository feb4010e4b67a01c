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
_MAX_EF = 2048


@dataclass(frozen=True)
class DenseParams:
    """How the dense index is built and searched; chosen by bench/scale_engine.py.

    Measured on 2 cores: exact search over all vectors costs 0.3 ms at 10k chunks and 13 ms
    at 100k, HNSW 0.1-0.2 ms, hence HNSW from 30k. HNSW recall@10 against exact on real
    embeddings (5,385 report windows, 240 real queries), M=32, efConstruction=80: 0.90 at
    efSearch 32, 0.96 at 64, 0.99 at 128; M=16 is within 0.01. Scoring 20k allowed rows
    exactly costs about 7 ms, the ceiling for the brute-force filter path."""

    flat_below: int = 30_000  # an exact IndexFlatIP under this many chunks, HNSW from it
    m: int = 32  # HNSW neighbours per node
    ef_construction: int = 80
    ef_search: int = 128
    brute_force_below: int = 20_000  # filtered searches over fewer rows score them exactly


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
        ids = np.asarray(self.ids[rows]).tolist()  # one gather, not a memmap access per row
        return [(i.decode(), float(s)) for i, s in zip(ids, scores.tolist(), strict=True)]

    @property
    def _is_hnsw(self) -> bool:
        return isinstance(self.index, faiss.IndexHNSW)

    def exact(
        self, vector: np.ndarray, k: int, allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best (rows, scores) by brute force over `allowed` rows (None = all)."""
        candidates = self.vectors if allowed is None else self.vectors[allowed]
        k = min(k, len(candidates))
        # faiss.knn, not `candidates @ vector`: numpy's OpenBLAS runs a matrix-vector
        # product on 2 threads here and is 5-15x slower than faiss's single thread.
        scores, found = faiss.knn(vector[None, :], candidates, k, metric=faiss.METRIC_INNER_PRODUCT)
        rows = found[0] if allowed is None else allowed[found[0]]
        return best(rows, scores[0], k)

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
                # The graph is walked through rejected nodes too: to gather as many allowed
                # candidates as an unfiltered search, widen it by the inverse selectivity.
                widen = -(-len(self.ids) // len(allowed))
                search_params.efSearch = min(search_params.efSearch * widen, _MAX_EF)
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
