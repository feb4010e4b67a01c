"""Pure functions for rank fusion and metadata filters, tested against hand computations.

Kept free of numpy, FAISS and the model so they can be read, reused and checked alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def rrf(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Reciprocal rank fusion: score(d) = sum over rankings r of w_r / (k + rank_r(d)).

    Ranks are 1-based. The constant k (60 in Cormack et al., 2009) damps the weight of
    the very top ranks so that a document ranked well by several retrievers beats one
    ranked first by a single retriever; weights (default 1 each) let one retriever count
    more. Ties are broken by first appearance, so the result is deterministic. Returns
    (id, score) pairs, best first.
    """
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
    order = {doc_id: i for i, doc_id in enumerate(scores)}
    return sorted(scores.items(), key=lambda item: (-item[1], order[item[0]]))


def first_per_group(ids: Iterable[str], group_of: dict[str, str]) -> list[str]:
    """Keep the first id of each group, in order (one passage per initiative)."""
    seen: set[str] = set()
    kept = []
    for item in ids:
        group = group_of[item]
        if group not in seen:
            seen.add(group)
            kept.append(item)
    return kept


def matches(
    councils: Sequence[str],
    source: str,
    section: str,
    want_councils: Sequence[str] = (),
    want_sources: Sequence[str] = (),
    want_sections: Sequence[str] = (),
) -> bool:
    """Whether an initiative passes the filters: any listed council (by place key), any
    listed source, and any listed section (case-insensitive substring); empty = any."""
    from .councils import place_key

    if want_councils and not {place_key(c) for c in councils} & {
        place_key(c) for c in want_councils
    }:
        return False
    if want_sources and source not in want_sources:
        return False
    return not want_sections or any(s.lower() in section.lower() for s in want_sections)
