"""Pure functions for rank fusion, tested against hand computations.

Kept free of numpy, engines and the model so they can be read, reused and checked alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

Ranking = Sequence[tuple[str, float]]  # (id, score), best first


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
    # sorted() is stable (reverse=True too) and dicts keep insertion order: ties stay in
    # first-seen order.
    return sorted(rrf_scores(rankings, k, weights).items(), key=itemgetter(1), reverse=True)


def rrf_scores(
    rankings: Sequence[Sequence[str]], k: int = 60, weights: Sequence[float] | None = None
) -> dict[str, float]:
    """`rrf`'s scores, unsorted: each id once, in order of first appearance."""
    weights = weights or [1.0] * len(rankings)
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for rank, doc_id in enumerate(ranking, start=1):
            scores[doc_id] = scores.get(doc_id, 0.0) + weight / (k + rank)
    return scores


def first_per_group(ids: Sequence[str], group_of: Mapping[str, str]) -> list[str]:
    """Keep the first id of each group, in order (one entry per initiative)."""
    seen: set[str] = set()
    kept = []
    for item in ids:
        group = group_of[item]
        if group not in seen:
            seen.add(group)
            kept.append(item)
    return kept


def best_per_group(scores: Mapping[str, float], group_of: Mapping[str, str]) -> dict[str, str]:
    """Group -> its highest-scoring id (the first seen among equals), without sorting:
    the id `first_per_group` would keep from the ids sorted by score."""
    best: dict[str, tuple[float, str]] = {}
    for item, score in scores.items():
        group = group_of[item]
        if group not in best or score > best[group][0]:
            best[group] = (score, item)
    return {group: item for group, (_, item) in best.items()}


@dataclass(frozen=True)
class Fused:
    """One fused group (initiative): its RRF score, its best chunk, and per retriever the
    (score, rank) of its best chunk there."""

    group: str
    score: float
    best_chunk: str
    evidence: dict[str, tuple[float, int]] = field(default_factory=dict)


def fuse_groups(
    rankings: Mapping[str, Ranking],
    group_of: Mapping[str, str],
    k: int,
    weights: Mapping[str, float],
    limit: int | None = None,
) -> list[Fused]:
    """Fuse chunk rankings into a ranking of their groups (initiatives), the best `limit`
    of them (all when None).

    Each retriever's chunk ranking is collapsed to one entry per group (its best chunk)
    before RRF, so a long initiative with many chunks cannot crowd out the others; a
    chunk-level RRF picks which chunk of a group to show.
    """
    names = [n for n, r in rankings.items() if r]
    w = [weights.get(n, 1.0) for n in names]
    best = best_per_group(rrf_scores([[c for c, _ in rankings[n]] for n in names], k, w), group_of)
    evidence: dict[str, dict[str, tuple[float, int]]] = {}
    per_group = []
    for name in names:
        score_of = dict(rankings[name])
        ids = first_per_group([c for c, _ in rankings[name]], group_of)
        per_group.append([group_of[c] for c in ids])
        for rank, c in enumerate(ids, start=1):
            evidence.setdefault(group_of[c], {})[name] = (score_of[c], rank)
    fused = rrf(per_group, k, w)[:limit]
    return [Fused(g, s, best[g], evidence.get(g, {})) for g, s in fused]
