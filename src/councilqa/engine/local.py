"""The `local` backend: bm25s (lexical) and FAISS (dense) in the index directory, in-process.

`build` writes everything a search needs; `open_backend` memory-maps it, so opening a
million-chunk index reads only small vocabularies and the HNSW graph, and rebuilds nothing.
Chunk ids live in one fixed-width byte array (row -> id), not a Python object per chunk.

Files: ids.npy; bm25/ (bm25s's own directory); dense.faiss and dense.json; filter_*.npy
and filters.json (see rowfilter).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from . import Backend, ChunkRecord, load_mapped
from .dense import DenseParams, build_dense, open_dense
from .lexical import build_lexical, open_lexical
from .rowfilter import build_filters, open_filters

_IDS = "ids.npy"


def build(
    directory: Path,
    records: Sequence[ChunkRecord],
    vectors: np.ndarray,
    dense: DenseParams | None = None,
) -> dict:
    """Write the backend's files for `records` and their unit `vectors` (aligned rows) into
    `directory`; return what the index manifest records about them."""
    if len(records) != len(vectors):
        raise ValueError(f"{len(records)} records but {len(vectors)} vectors")
    directory.mkdir(parents=True, exist_ok=True)
    ids = np.array([record.id.encode() for record in records], dtype=bytes)
    if len(set(ids.tolist())) != len(ids):
        raise ValueError("chunk ids must be unique")
    np.save(directory / _IDS, ids)
    return {
        "backend": "local",
        "chunks": len(records),
        "lexical": build_lexical(directory, records),
        "dense": build_dense(directory, vectors, dense),
        "filters": build_filters(directory, records),
    }


def open_backend(directory: Path) -> Backend:
    """Open what `build` wrote in `directory`, memory-mapped."""
    ids = load_mapped(directory / _IDS)
    rowfilter = open_filters(directory, len(ids))
    return Backend(
        lexical=open_lexical(directory, ids, rowfilter),
        dense=open_dense(directory, ids, rowfilter),
    )
