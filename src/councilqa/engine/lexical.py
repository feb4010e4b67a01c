"""BM25+ over chunk texts with bm25s: an eager sparse score matrix, saved and memory-mapped.

bm25s precomputes every (term, chunk) score at build time, so a query only adds up the score
columns of its terms. Parameters are rank-bm25's `BM25Plus` defaults (k1=1.5, b=0.75,
delta=1), and bm25s's "bm25+" idf is rank-bm25's log((N + 1) / df), so the ranking is
rank-bm25's (tests compare them). Tokens come from `councilqa.text.tokenize`, never from
bm25s's own tokenizer, so BM25 reads the words every other layer reads.

Unlike rank-bm25, only chunks containing at least one query term are ranked: the others
would score the same constant (delta times the query's idf sum) and carry no evidence.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import numpy as np

from ..models import Filters
from ..text import TOKENIZER_VERSION, tokenize
from . import ChunkRecord
from .rowfilter import RowFilter, best

BM25_PARAMS = {"k1": 1.5, "b": 0.75, "delta": 1.0, "method": "bm25+"}  # rank-bm25 BM25Plus
_SUBDIR = "bm25"


def build_lexical(directory: Path, records: Sequence[ChunkRecord], dtype: str = "float32") -> dict:
    """Index the tokenized texts of `records` with bm25s into directory/bm25; describe it.

    float32 halves the score matrix and agrees with rank-bm25's float64 to about 1e-6
    relative; float64 agrees to rounding."""
    corpus_tokens = [tokenize(record.text) for record in records]
    model = bm25s.BM25(**BM25_PARAMS, dtype=dtype)
    model.index(corpus_tokens, show_progress=False)
    model.save(str(directory / _SUBDIR), show_progress=False)
    return {
        "library": f"bm25s {bm25s.__version__}",
        **BM25_PARAMS,
        "dtype": dtype,
        "tokenizer": TOKENIZER_VERSION,
        "vocabulary": len(model.vocab_dict),
        "postings": len(model.scores["data"]),
    }


@dataclass(frozen=True)
class LexicalRetriever:
    """BM25+ ranking of chunks by a query's tokens, restricted to rows passing the filters."""

    model: Any  # bm25s.BM25, memory-mapped
    ids: np.ndarray
    rowfilter: RowFilter
    postings: tuple[np.ndarray, np.ndarray, np.ndarray]  # the model's (data, indices, indptr)

    def search(
        self, query: str, query_vector: np.ndarray | None, filters: Filters, k: int
    ) -> list[tuple[str, float]]:
        """Up to k (chunk_id, BM25+ score) pairs, best first; [] when no query term is known."""
        terms = self.model.get_tokens_ids(tokenize(query))
        if not terms or k <= 0:
            return []
        allowed = self.rowfilter.allowed(filters)
        if allowed is not None and len(allowed) == 0:
            return []
        rows, scores = self.scores(terms, allowed)
        rows, scores = best(rows, scores, k)
        ids = np.asarray(self.ids[rows]).tolist()  # one gather, not a memmap access per row
        return [(i.decode(), float(s)) for i, s in zip(ids, scores.tolist(), strict=True)]

    def scores(
        self, terms: Sequence[int], allowed: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the allowed chunks that contain any of the term ids."""
        data, indices, indptr = self.postings
        rows = np.concatenate([indices[indptr[t] : indptr[t + 1]] for t in terms])
        values = np.concatenate([data[indptr[t] : indptr[t + 1]] for t in terms])
        if allowed is not None:
            keep = self.rowfilter.mask(allowed)[rows]
            rows, values = rows[keep], values[keep]
        # Summed in float64 like rank-bm25; each posting is > 0 (idf > 0 since df <= N), so
        # the nonzero sums are exactly the chunks holding a query term.
        total = np.bincount(rows, weights=values, minlength=len(self.ids))
        matched = np.flatnonzero(total)
        # bm25s stores scores minus the constant a chunk gets for lacking the term; adding
        # it back gives rank-bm25's score, not just its order.
        baseline = float(self.model.nonoccurrence_array[terms].astype(np.float64).sum())
        return matched, total[matched] + baseline


def open_lexical(directory: Path, ids: np.ndarray, rowfilter: RowFilter) -> LexicalRetriever:
    """Open the bm25s index in directory/bm25 with its arrays memory-mapped."""
    model = bm25s.BM25.load(str(directory / _SUBDIR), mmap=True)
    # Plain views of the memory maps: slicing them per query term costs 8x less.
    data, indices, indptr = (np.asarray(model.scores[k]) for k in ("data", "indices", "indptr"))
    return LexicalRetriever(model, ids, rowfilter, postings=(data, indices, indptr))
