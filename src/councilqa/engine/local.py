"""INTERIM local backend (replaced by the scalable bm25s/FAISS one): rank-bm25 + FAISS flat."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import faiss
import numpy as np
from rank_bm25 import BM25Plus

from ..models import Filters
from ..text import tokenize
from . import Backend, ChunkRecord


def build(directory: Path, records: Sequence[ChunkRecord], vectors: np.ndarray) -> dict:
    """Write tokens, metadata and vectors."""
    directory.mkdir(parents=True, exist_ok=True)
    rows = [
        {"id": r.id, "tokens": tokenize(r.text), "councils": r.councils, "source": r.source,
         "section": r.section}
        for r in records
    ]  # fmt: skip
    (directory / "rows.json").write_text(json.dumps(rows))
    np.save(directory / "vectors.npy", vectors)
    return {"kind": "interim", "chunks": len(rows)}


class _Base:
    def __init__(self, rows: list[dict]) -> None:
        self.rows = rows
        self.ids = [r["id"] for r in rows]

    def allowed(self, f: Filters) -> np.ndarray:
        if not f:
            return np.ones(len(self.rows), dtype=bool)
        return np.array(
            [
                (not f.councils or bool(set(r["councils"]) & set(f.councils)))
                and (not f.sources or r["source"] in f.sources)
                and (not f.sections or r["section"] in f.sections)
                for r in self.rows
            ],
            dtype=bool,
        )


class _Lexical(_Base):
    def __init__(self, rows: list[dict]) -> None:
        super().__init__(rows)
        self.bm25 = BM25Plus([r["tokens"] for r in rows])

    def search(self, query, query_vector, filters, k):
        terms = tokenize(query)
        if not terms:
            return []
        scores = self.bm25.get_scores(terms)
        ok = self.allowed(filters)
        hit = np.array([bool(set(terms) & set(r["tokens"])) for r in self.rows])
        rows = np.flatnonzero(ok & hit)
        rows = rows[np.argsort(-scores[rows], kind="stable")][:k]
        return [(self.ids[r], float(scores[r])) for r in rows]


class _Dense(_Base):
    def __init__(self, rows: list[dict], vectors: np.ndarray) -> None:
        super().__init__(rows)
        self.vectors = vectors
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(vectors)

    def search(self, query, query_vector, filters, k):
        ok = self.allowed(filters)
        scores = self.vectors @ query_vector.reshape(-1)
        rows = np.flatnonzero(ok)
        rows = rows[np.argsort(-scores[rows], kind="stable")][:k]
        return [(self.ids[r], float(scores[r])) for r in rows]


def open_backend(directory: Path) -> Backend:
    """Open what build wrote."""
    rows = json.loads((directory / "rows.json").read_text())
    vectors = np.load(directory / "vectors.npy")
    return Backend(_Lexical(rows), _Dense(rows, vectors))
