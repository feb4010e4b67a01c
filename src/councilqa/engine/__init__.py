"""Retrieval engines behind one seam: `Retriever`, query in, chunk ids and scores out.

A backend is a pair of retrievers (lexical and dense) opened from the index directory;
the search pipeline fuses their rankings and never knows which engine answered. Adding a
backend means writing one module with an `open_backend(index_dir, catalog)` function and
naming it in `BACKENDS`; nothing in `search`, `answer` or `api` changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from ..models import Filters


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
