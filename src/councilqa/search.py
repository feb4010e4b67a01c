"""The one query pipeline: validate, resolve filters, retrieve, fuse, group by initiative,
cut passages with highlights.

    query ─ check ─ filters resolved (catalogue) ─┬ lexical retriever ─┐
                     embed (once) ────────────────┼ dense retriever ───┼ fuse by initiative
                                                  └ named: dense over  ┘  ─ passages (catalogue)
                                                    councils/sections the query names

The pipeline talks to engines only through the `Retriever` seam and to text only through
the catalogue; it never knows which backend answered.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from .catalog import Catalog
from .councils import find_councils, find_places, place_key
from .embedding import Embedder
from .engine import Backend
from .errors import QueryError
from .fusion import Fused, Ranking, fuse_groups
from .models import MODES, Filters, Hit, Initiative, SearchParams
from .passages import make_passage
from .support import TermStats, is_list_question, on_topic
from .text import tokenize

# Questions about an award category's entries (or a report section's contents), where
# every initiative of the named section is an answer: only these get the section ranking.
_CATEGORY_CUE = re.compile(
    r"\b(shortlist\w*|categor(y|ies)|awards?|entries|entry|in the running|nominat\w*|"
    r"finalists?)\b",
    re.I,
)
LIST_POOL = 60  # how deep a "which councils…" answer looks for more initiatives
_INVISIBLE = {"Cf", "Cc", "Zs", "Zl", "Zp", "Mn"}  # format chars (zero-width), controls, spaces


def check_query(query: str, max_chars: int) -> str:
    """The query stripped, or QueryError saying what is wrong with it."""
    bad = next((i for i, ch in enumerate(query) if 0xD800 <= ord(ch) <= 0xDFFF), None)
    if bad is not None:
        raise QueryError(f"query has an invalid character at position {bad} (a lone surrogate)")
    if not any(unicodedata.category(ch) not in _INVISIBLE for ch in query):
        raise QueryError(f"query is empty: ask a question of 1 to {max_chars} characters")
    if len(query) > max_chars:
        raise QueryError(f"query is {len(query)} characters long; the limit is {max_chars}")
    return query.strip()


def check_mode(mode: str) -> None:
    """QueryError unless `mode` is one of MODES."""
    if mode not in MODES:
        raise QueryError(f"unknown mode {mode[:50]!r}; valid modes: {', '.join(MODES)}")


def unknown_value(kind: str, value: str, valid: Sequence[str], where: str, key=str.lower) -> str:
    """An error message naming the bad value, the closest valid ones and where all are."""
    keyed = {key(v): v for v in valid}
    close = [keyed[k] for k in difflib.get_close_matches(key(value), list(keyed), n=5, cutoff=0.6)]
    hint = f"; did you mean: {', '.join(close)}" if close else ""
    return f"unknown {kind} {value[:100]!r}{hint}. The {len(valid)} valid values: {where}"


class Searcher:
    """Searches one index; build it once and share it (it is read-only and thread-safe)."""

    def __init__(
        self, catalog: Catalog, backend: Backend, embedder: Embedder, params: SearchParams
    ) -> None:
        self.catalog, self.backend, self.embedder, self.params = catalog, backend, embedder, params
        self.weights = {
            "bm25": 1.0,
            "dense": params.dense_weight,
            "named": params.named_weight,
            "section": params.section_weight,
        }
        self.councils = list(catalog.councils())
        self.sections = catalog.sections()
        self.sources = [r.source for r in catalog.reports]
        self._gazetteer = {place_key(c): c for c in self.councils}
        self._section_terms = {name: set(tokenize(name)) for name in self.sections}
        # term -> the sections (of two or more terms) holding it: a query is matched
        # against the sections sharing one of its words, not every section.
        self._sections_with: dict[str, list[str]] = {}
        for name, terms in self._section_terms.items():
            for term in terms if len(terms) >= 2 else ():
                self._sections_with.setdefault(term, []).append(name)
        self.stats = TermStats(catalog.initiative_count, catalog.term_counts)

    def resolve(self, filters: Filters) -> Filters:
        """Filters as retrievers take them (place keys, exact section names); QueryError
        naming any value that matches nothing, with the closest valid ones."""
        places = []
        for council in filters.councils:
            if place_key(council) not in self._gazetteer or not council.strip():
                raise QueryError(unknown_value("council", council, self.councils,
                                               "GET /councils", place_key))  # fmt: skip
            places.append(place_key(council))
        for source in filters.sources:
            if source not in self.sources:
                raise QueryError(unknown_value("source", source, self.sources, "GET /documents"))
        sections = [self._sections_like(s) for s in filters.sections]
        return Filters(tuple(places), filters.sources, tuple(n for ns in sections for n in ns))

    def _sections_like(self, text: str) -> list[str]:
        found = [s for s in self.sections if text.strip() and text.lower() in s.lower()]
        if not found:
            raise QueryError(unknown_value("section", text, self.sections, "GET /sections"))
        return found

    def search(
        self, query: str, top_k: int = 5, mode: str = "hybrid", filters: Filters | None = None
    ) -> list[Hit]:
        """The top_k initiatives for `query`, each as a passage with explained scores."""
        check_mode(mode)
        resolved = self.resolve(filters or Filters())
        # Deep enough to fill top_k initiatives (each has several chunks): a council list's
        # pool of 60 reads 120 chunks a retriever; ten results read `candidates`.
        rankings = self.rankings(query, mode, resolved, max(self.params.candidates, 2 * top_k))
        group_of = self.catalog.initiative_ids(_ids(rankings))
        rankings = {n: [(c, s) for c, s in r if c in group_of] for n, r in rankings.items()}
        fused = fuse_groups(rankings, group_of, self.params.rrf_k, self.weights, top_k)
        return self._hits(fused, query)

    def answer_hits(
        self, query: str, top_k: int = 5, mode: str = "hybrid", filters: Filters | None = None
    ) -> list[Hit]:
        """The hits an answer is built from: the top_k and, for a "which councils…"
        question, every further initiative among the first LIST_POOL that passes the list
        cut-off (`answer.on_topic`), so the council list is exhaustive, not top-k."""
        if not is_list_question(query):
            return self.supported(query, self.search(query, top_k, mode, filters))
        pool = self.supported(query, self.search(query, max(top_k, LIST_POOL), mode, filters))
        extra = [h for h in pool[top_k:] if on_topic(h)]
        return pool[:top_k] + [replace(h, rank=top_k + n) for n, h in enumerate(extra, 1)]

    def supported(self, query: str, hits: Sequence[Hit]) -> list[Hit]:
        """The hits with how well each initiative supports the question added to its
        scores (`support.TermStats.support`: coverage, missing, phrase). Only answers need
        them (council lists, abstention), so `search` leaves them out: they would be a
        seventh of its CPU time (every hit's whole initiative tokenized again)."""
        support = self.stats.judge(query)
        return [
            replace(h, scores={**h.scores, **support(self._tokens(h.initiative))}) for h in hits
        ]

    def _tokens(self, item: Initiative) -> list[str]:
        return tokenize(self.catalog.initiative_text(item))

    def rankings(
        self, query: str, mode: str, filters: Filters, depth: int | None = None
    ) -> dict[str, Ranking]:
        """Each retriever's chunk ranking for the query, `depth` chunks deep (default
        `candidates`); the named one in hybrid only."""
        k = depth or self.params.candidates
        vector = self.embedder.embed([query])[0] if mode != "bm25" else None
        found: dict[str, Ranking] = {}
        if mode in ("hybrid", "bm25"):
            found["bm25"] = self.backend.lexical.search(query, None, filters, k)
        if mode in ("hybrid", "dense"):
            found["dense"] = self.backend.dense.search(query, vector, filters, k)
        if mode == "hybrid":
            found |= self.named_rankings(query, vector, filters, k)
        return found

    def mentions(self, query: str) -> tuple[list[str], list[str]]:
        """Councils (place keys) and section names the query names outright."""
        named = find_councils(query) + find_places(query, self._gazetteer)
        places = [p for p in dict.fromkeys(place_key(c) for c in named) if p in self._gazetteer]
        words = set(tokenize(query))
        near = {name for word in words for name in self._sections_with.get(word, ())}
        sections = [
            name
            for name in sorted(near)  # self.sections' order
            if len(self._section_terms[name] & words) >= 0.75 * len(self._section_terms[name])
        ]
        return places, sections

    def named_rankings(
        self, query: str, vector: np.ndarray | None, filters: Filters, depth: int | None = None
    ) -> dict[str, Ranking]:
        """Rankings for what the query names, each by dense score over all chunks of it.

        "named": chunks of the councils or sections the query names, so "what has
        Southwark done…" favours Southwark's initiatives. "section": for award-category
        questions only ("shortlisted for Climate Response", "entries in the Environmental
        Services category"), the named section's chunks again, as a heavier ranking: every
        entry of the category answers them, and a section word in an ordinary question
        changes nothing there. Each dense search runs once, shared by both rankings."""
        places, sections = self.mentions(query)
        k = depth or self.params.candidates
        by_place = (
            self._dense(query, vector, _narrow(filters, councils=places), k) if places else []
        )
        by_section = (
            self._dense(query, vector, _narrow(filters, sections=sections), k) if sections else []
        )
        named = sorted(dict(by_place + by_section).items(), key=lambda pair: -pair[1])
        category = by_section if _CATEGORY_CUE.search(query) else []
        return {"named": named, "section": category}

    def _dense(
        self, query: str, vector: np.ndarray | None, filters: Filters, k: int
    ) -> list[tuple[str, float]]:
        return list(self.backend.dense.search(query, vector, filters, k))

    def _hits(self, fused: list[Fused], query: str) -> list[Hit]:
        items = self.catalog.initiatives([f.group for f in fused])
        chunks = self.catalog.chunks([f.best_chunk for f in fused])
        hits = []
        for rank, f in enumerate(fused, start=1):
            item, chunk = items[f.group], chunks[f.best_chunk]
            text, pages = self.catalog.text(item.source), self.catalog.page_starts(item.source)
            passage = make_passage(text, item, chunk, self.params.passage_chars, query, pages)
            hits.append(Hit(item, passage, chunk.id, f.score, _scores(f), rank))
        return hits


def _narrow(
    filters: Filters, councils: Sequence[str] = (), sections: Sequence[str] = ()
) -> Filters:
    """The user's filters further restricted to named councils or sections."""
    if councils:
        keep = [c for c in councils if not filters.councils or c in filters.councils]
        return replace(filters, councils=tuple(keep) or ("\0none",))
    keep = [s for s in sections if not filters.sections or s in filters.sections]
    return replace(filters, sections=tuple(keep) or ("\0none",))


def _ids(rankings: dict[str, Ranking]) -> list[str]:
    return list(dict.fromkeys([c for r in rankings.values() for c, _ in r]))


def _scores(f: Fused) -> dict[str, float | int | None]:
    scores: dict[str, float | int | None] = {}
    for name in ("bm25", "dense", "named", "section"):
        score, rank = f.evidence.get(name, (None, None))
        if name in ("bm25", "dense"):
            scores[name] = score
        scores[f"{name}_rank"] = rank
    return scores
