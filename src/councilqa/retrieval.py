"""Hybrid retrieval: BM25 and dense search over chunks, fused per initiative with RRF.

Filters are applied inside both retrievers before ranking (not by discarding results
afterwards), so a filtered search still returns `top_k` initiatives when that many match.
Each retriever's chunk ranking is collapsed to one entry per initiative (its best chunk)
before fusion, so a long initiative with many chunks cannot crowd out the others.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

import faiss
import numpy as np
from rank_bm25 import BM25L, BM25Okapi, BM25Plus

from .councils import find_councils, find_places, place_key
from .embedding import Embedder
from .errors import QueryError
from .fusion import first_per_group, matches, rrf
from .index import LoadedIndex
from .models import Chunk, Hit, Initiative, Scores, SearchParams

Mode = Literal["hybrid", "dense", "bm25"]
MODES: tuple[str, ...] = ("hybrid", "dense", "bm25")
_BM25 = {"okapi": BM25Okapi, "l": BM25L, "plus": BM25Plus}

# Function words only: content words such as "council" are kept, since BM25Plus/BM25L
# weight them low but not zero (BM25Okapi would floor a term found in most chunks).
STOP_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "been",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "for",
        "from",
        "had",
        "has",
        "have",
        "how",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "me",
        "my",
        "of",
        "on",
        "or",
        "our",
        "so",
        "than",
        "that",
        "the",
        "their",
        "them",
        "there",
        "these",
        "they",
        "this",
        "those",
        "to",
        "was",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "whom",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "any",
        "all",
        "has",
        "have",
        "having",
        "about",
    ]
)
_WORD = re.compile(r"[a-z0-9£%]+(?:['’][a-z]+)?")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words, with a light plural stemmer."""
    tokens = []
    for token in _WORD.findall(text.lower()):
        token = token.replace("’", "'").removesuffix("'s")
        if token in STOP_WORDS:
            continue
        if len(token) > 4 and token.endswith("ies"):
            token = token[:-3] + "y"
        elif len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
            token = token[:-1]
        tokens.append(token)
    return tokens


_EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0))


def _postings(doc_freqs: list[dict[str, int]]) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """term -> (rows of the chunks that contain it, its count in each)."""
    rows: dict[str, list[int]] = {}
    counts: dict[str, list[int]] = {}
    for row, freqs in enumerate(doc_freqs):
        for term, count in freqs.items():
            rows.setdefault(term, []).append(row)
            counts.setdefault(term, []).append(count)
    return {t: (np.array(rows[t], dtype=np.int64), np.array(counts[t], dtype=float)) for t in rows}


def bm25_scores(
    bm25, postings: dict[str, tuple[np.ndarray, np.ndarray]], query: Sequence[str]
) -> np.ndarray:
    """rank_bm25's get_scores, term frequencies read from postings instead of a Python loop
    over every chunk; the formulas are rank_bm25's own (tests compare the two exactly)."""
    score = np.zeros(bm25.corpus_size)
    doc_len = np.array(bm25.doc_len)
    k1, b, avgdl = bm25.k1, bm25.b, bm25.avgdl
    for q in query:
        q_freq = np.zeros(bm25.corpus_size)
        rows, counts = postings.get(q, _EMPTY)
        q_freq[rows] = counts
        idf = bm25.idf.get(q) or 0
        if isinstance(bm25, BM25Plus):
            score += idf * (
                bm25.delta + (q_freq * (k1 + 1)) / (k1 * (1 - b + b * doc_len / avgdl) + q_freq)
            )
        elif isinstance(bm25, BM25L):
            ctd = q_freq / (1 - b + b * doc_len / avgdl)
            score += idf * q_freq * (k1 + 1) * (ctd + bm25.delta) / (k1 + ctd + bm25.delta)
        else:
            score += idf * (q_freq * (k1 + 1) / (q_freq + k1 * (1 - b + b * doc_len / avgdl)))
    return score


@dataclass(frozen=True)
class Filters:
    """Which initiatives a search may return; empty tuples mean no restriction."""

    councils: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.councils or self.sources or self.sections)


class Searcher:
    """Searches one loaded index; build it once and share it (it is read-only)."""

    def __init__(
        self, index: LoadedIndex, embedder: Embedder, params: SearchParams | None = None
    ) -> None:
        params = params or SearchParams()
        self.index = index
        self.embedder = embedder
        self.passage_chars = params.passage_chars
        self.rrf_k = params.rrf_k
        self.candidates = params.candidates
        self.weights = {"bm25": 1.0, "dense": params.dense_weight, "named": 1.0}
        self.chunks: tuple[Chunk, ...] = index.chunks
        self.initiatives: dict[str, Initiative] = index.initiatives
        tokens = [tokenize(c.indexed_text) for c in self.chunks]
        self.bm25 = _BM25[params.bm25_variant](tokens)
        self._postings = _postings(self.bm25.doc_freqs)
        self._initiative_of = {c.id: c.initiative_id for c in self.chunks}
        self._chunk_by_id = {c.id: c for c in self.chunks}
        self.councils = sorted({c for i in self.initiatives.values() for c in i.councils})
        self.sections = sorted({i.section for i in self.initiatives.values() if i.section})
        self.sources = sorted(r.source for r in index.reports)
        self._gazetteer = {place_key(c): c for c in self.councils}
        self._places_of = {
            i.id: {place_key(c) for c in i.councils} for i in self.initiatives.values()
        }
        self._section_terms = {name: set(tokenize(name)) for name in self.sections}

    def check_filters(self, filters: Filters) -> None:
        """Raise QueryError naming any filter value that matches nothing, with valid ones."""
        for council in filters.councils:
            if place_key(council) not in self._gazetteer:
                raise QueryError(_unknown("council", council, self.councils, place_key))
        for source in filters.sources:
            if source not in self.sources:
                raise QueryError(_unknown("source", source, self.sources))
        for section in filters.sections:
            if not any(section.lower() in s.lower() for s in self.sections):
                raise QueryError(_unknown("section", section, self.sections))

    def allowed(self, filters: Filters) -> np.ndarray:
        """Boolean mask over chunks of those whose initiative passes the filters."""
        if not filters:
            return np.ones(len(self.chunks), dtype=bool)
        ok = {
            item.id
            for item in self.initiatives.values()
            if matches(
                item.councils,
                item.source,
                item.section,
                filters.councils,
                filters.sources,
                filters.sections,
            )
        }
        return np.fromiter(
            (c.initiative_id in ok for c in self.chunks), dtype=bool, count=len(self.chunks)
        )

    def bm25_ranking(self, query: str, allowed: np.ndarray) -> list[tuple[int, float]]:
        """(chunk row, score) best first, over allowed chunks sharing a term with the query."""
        terms = tokenize(query)
        if not terms:
            return []
        scores = bm25_scores(self.bm25, self._postings, terms)
        hit = np.zeros(len(self.chunks), dtype=bool)
        for term in terms:
            hit[self._postings.get(term, _EMPTY)[0]] = True
        rows = np.flatnonzero(allowed & hit)
        rows = rows[np.argsort(-scores[rows], kind="stable")][: self.candidates]
        return [(int(r), float(scores[r])) for r in rows]

    def dense_ranking(self, query: str, allowed: np.ndarray) -> list[tuple[int, float]]:
        """(chunk row, cosine) best first, searched by FAISS over allowed chunks only."""
        n_allowed = int(allowed.sum())
        if n_allowed == 0:
            return []
        vector = self.embedder.embed([query])
        k = min(self.candidates, n_allowed)
        params = None
        if n_allowed < len(self.chunks):
            selector = faiss.IDSelectorBatch(np.flatnonzero(allowed).astype("int64"))
            params = faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]
        scores, rows = self.index.faiss_index.search(vector, k, params=params)
        return [(int(r), float(s)) for r, s in zip(rows[0], scores[0], strict=True) if r >= 0]

    def search(
        self, query: str, top_k: int = 5, mode: str = "hybrid", filters: Filters | None = None
    ) -> list[Hit]:
        """The top_k initiatives for `query`, each as its best chunk with explained scores."""
        if mode not in MODES:
            raise QueryError(f"unknown mode {mode!r}; valid modes: {', '.join(MODES)}")
        filters = filters or Filters()
        self.check_filters(filters)
        allowed = self.allowed(filters)
        bm25 = self.bm25_ranking(query, allowed) if mode in ("hybrid", "bm25") else []
        dense = self.dense_ranking(query, allowed) if mode in ("hybrid", "dense") else []
        named = self.named_ranking(query, dense, allowed) if mode == "hybrid" else []
        return self._fuse(bm25, dense, top_k, named)

    def mentions(self, query: str) -> tuple[set[str], set[str]]:
        """Councils (place keys) and section names the query names outright."""
        places = {place_key(c) for c in find_councils(query) + find_places(query, self._gazetteer)}
        words = set(tokenize(query))
        sections = {
            name
            for name, terms in self._section_terms.items()
            if len(terms) >= 2 and len(terms & words) >= 0.75 * len(terms)
        }
        return places, sections

    def named_ranking(
        self, query: str, dense: list[tuple[int, float]], allowed: np.ndarray
    ) -> list[tuple[int, float]]:
        """Chunks of initiatives whose council or section the query names, in dense order:
        a third ranking for fusion, so "what has Southwark done…" or "entries shortlisted
        for Climate Response" favour that council's or section's initiatives."""
        places, sections = self.mentions(query)
        if not places and not sections:
            return []
        wanted = {
            i.id
            for i in self.initiatives.values()
            if i.section in sections or places & self._places_of[i.id]
        }
        return [(r, s) for r, s in dense if allowed[r] and self.chunks[r].initiative_id in wanted]

    def _fuse(
        self,
        bm25: list[tuple[int, float]],
        dense: list[tuple[int, float]],
        top_k: int,
        named: list[tuple[int, float]] | None = None,
    ) -> list[Hit]:
        rankings = {
            name: r for name, r in (("bm25", bm25), ("dense", dense), ("named", named or [])) if r
        }
        weights = [self.weights[name] for name in rankings]
        # Chunk-level fusion picks which chunk of an initiative to show ...
        chunk_scores = dict(
            rrf(
                [[self.chunks[r].id for r, _ in ranking] for ranking in rankings.values()],
                self.rrf_k,
                weights,
            )
        )
        # ... initiative-level fusion (each retriever's best chunk per initiative) ranks them.
        evidence: dict[str, dict[str, tuple[float, int]]] = {"bm25": {}, "dense": {}, "named": {}}
        per_retriever = []
        for name, ranking in rankings.items():
            ids = first_per_group((self.chunks[r].id for r, _ in ranking), self._initiative_of)
            score_of = {self.chunks[r].id: s for r, s in ranking}
            per_retriever.append([self._initiative_of[c] for c in ids])
            evidence[name] = {
                self._initiative_of[c]: (score_of[c], rank) for rank, c in enumerate(ids, start=1)
            }
        best_chunk: dict[str, str] = {}
        for chunk_id in chunk_scores:  # best first
            best_chunk.setdefault(self._initiative_of[chunk_id], chunk_id)
        fused = rrf(per_retriever, self.rrf_k, weights)
        return [
            self._hit(item, best_chunk[item], score, rank, evidence)
            for rank, (item, score) in enumerate(fused[:top_k], start=1)
        ]

    def _hit(
        self,
        initiative_id: str,
        chunk_id: str,
        score: float,
        rank: int,
        evidence: dict[str, dict[str, tuple[float, int]]],
    ) -> Hit:
        bm25 = evidence["bm25"].get(initiative_id)
        dense = evidence["dense"].get(initiative_id)
        named = evidence["named"].get(initiative_id)
        return Hit(
            chunk=self.passage(self._chunk_by_id[chunk_id]),
            initiative=self.initiatives[initiative_id],
            score=score,
            rank=rank,
            scores=Scores(
                bm25=bm25[0] if bm25 else None,
                bm25_rank=bm25[1] if bm25 else None,
                dense=dense[0] if dense else None,
                dense_rank=dense[1] if dense else None,
                named_rank=named[1] if named else None,
            ),
        )

    def passage(self, chunk: Chunk) -> Chunk:
        """The chunk widened to about `passage_chars` characters of its own initiative span,
        ending at sentence boundaries: small chunks rank precisely, the reader gets context."""
        extra = self.passage_chars - (chunk.end - chunk.start)
        if extra <= 0:
            return chunk
        span = next(
            (
                s
                for s in self.initiatives[chunk.initiative_id].spans
                if s.start <= chunk.start and chunk.end <= s.end
            ),
            None,
        )
        if span is None:
            return chunk
        text = self.index.texts[chunk.source]
        start = max(span.start, chunk.start - extra // 2)
        end = min(span.end, chunk.end + extra - (chunk.start - start))
        start = max(span.start, min(start, end - self.passage_chars))
        start, end = _snap(text, start, chunk.start, span.start), _snap_end(text, end, chunk.end)
        return replace(chunk, start=start, end=end, text=text[start:end])


def _snap(text: str, start: int, limit: int, floor: int) -> int:
    """Move `start` forward to the start of a sentence, never past `limit`."""
    if start == floor:
        return start
    m = re.search(r"(?<=[.!?])\s+|\n\s*", text[start:limit])
    return start + m.end() if m else limit


def _snap_end(text: str, end: int, limit: int) -> int:
    """Move `end` back to the end of a sentence, never before `limit`."""
    cut = max(text.rfind(". ", limit, end), text.rfind("\n", limit, end))
    if end < len(text) and text[end - 1] not in ".!?\n" and cut > limit:
        return cut + 1
    return end


def _unknown(kind: str, value: str, valid: Sequence[str], key=str.lower) -> str:
    """An error message naming the bad value, the closest valid ones and the valid list."""
    keyed = {key(v): v for v in valid}
    close = [keyed[k] for k in difflib.get_close_matches(key(value), list(keyed), n=5, cutoff=0.6)]
    hint = f"; did you mean: {', '.join(close)}" if close else ""
    shown = ", ".join(valid[:20]) + (f" … ({len(valid)} in all)" if len(valid) > 20 else "")
    return f"unknown {kind} {value!r}{hint}. Valid {kind}s: {shown}"


def open_searcher(
    index_dir: Path, model_name: str, batch_size: int = 32, params: SearchParams | None = None
) -> Searcher:
    """Load the index in `index_dir` and the query embedder, ready to search."""
    from .index import load_index, query_embedder

    index = load_index(index_dir)
    return Searcher(index, query_embedder(index_dir, model_name, batch_size), params)
