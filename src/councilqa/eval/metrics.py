"""Retrieval metrics (trec_eval conventions, binary relevance) and the one percentile.

A passage hits an evidence quote when it comes from the same file and its span covers at
least half of the quote's span; a passage is relevant when it hits a quote no earlier
passage hit (MRR, nDCG, Hit@k). Recall@k is the share of evidence quotes hit by the top k
passages: one passage (a whole initiative) may hit two quotes of the same case study and
then finds both. Tested against hand computations.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ..councils import place_key
from .gold import Evidence


def hits_evidence(source: str, start: int, end: int, ev: Evidence) -> bool:
    """A passage hits a quote when it is in the same file and covers half its span."""
    overlap = min(end, ev.end) - max(start, ev.start)
    return source == ev.source and overlap * 2 >= ev.end - ev.start


def judge(passages: Sequence[tuple[str, int, int]], evidence: Sequence[Evidence]) -> list[int]:
    """For each passage, the index of the first evidence it newly hits, or -1."""
    found: set[int] = set()
    marks = []
    for source, start, end in passages:
        new = next(
            (
                i
                for i, ev in enumerate(evidence)
                if i not in found and hits_evidence(source, start, end, ev)
            ),
            -1,
        )
        if new >= 0:
            found.add(new)
        marks.append(new)
    return marks


def found_at(
    passages: Sequence[tuple[str, int, int]], evidence: Sequence[Evidence]
) -> list[int | None]:
    """For each evidence quote, the 1-based rank of the first passage hitting it, or None."""
    return [
        next((r for r, p in enumerate(passages, start=1) if hits_evidence(*p, ev)), None)
        for ev in evidence
    ]


def metrics(
    marks: Sequence[int], n_evidence: int, found: Sequence[int | None] | None = None
) -> dict[str, float]:
    """Hit@1, Hit@5, Recall@5, Recall@10, MRR@10, nDCG@10 from judged passages.

    Recall counts every quote the passages hit (`found`, from `found_at`); without it,
    only one quote per passage (the stricter count, kept as recall@10_strict)."""
    rel = [1 if m >= 0 else 0 for m in marks[:10]]
    first = next((i for i, r in enumerate(rel) if r), None)
    dcg = sum(r / math.log2(i + 2) for i, r in enumerate(rel))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(n_evidence, 10)))
    return {
        "hit@1": float(bool(rel[:1] and rel[0])),
        "hit@5": float(any(rel[:5])),
        "recall@5": _recall(rel, found, 5, n_evidence),
        "recall@10": _recall(rel, found, 10, n_evidence),
        "recall@10_strict": sum(rel[:10]) / n_evidence,
        "mrr@10": 0.0 if first is None else 1 / (first + 1),
        "ndcg@10": dcg / idcg if idcg else 0.0,
    }


def _recall(rel: Sequence[int], found: Sequence[int | None] | None, k: int, n: int) -> float:
    if found is None:
        return sum(rel[:k]) / n
    return sum(1 for r in found if r is not None and r <= k) / n


def council_recall(expected: Sequence[str], returned: Sequence[str]) -> float:
    """Share of expected councils (by place) among the returned councils."""
    want = {place_key(c) for c in expected}
    got = {place_key(c) for c in returned}
    return len(want & got) / len(want) if want else 1.0


def council_precision(expected: Sequence[str], returned: Sequence[str]) -> float:
    """Share of returned councils (by place) that are expected."""
    want = {place_key(c) for c in expected}
    got = {place_key(c) for c in returned}
    return len(want & got) / len(got) if got else 1.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else 0.0
