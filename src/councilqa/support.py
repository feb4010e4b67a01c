"""How well an initiative supports a question, from its words: the signals behind
exhaustive council lists and abstention.

`TermStats` holds document frequencies over initiatives (title and text) and which word
pairs occur anywhere in the corpus. From it, per hit: `coverage` (the IDF-weighted share
of the question's content terms the initiative contains), `missing` (how rare the rarest
question term it lacks is, 0 when it lacks none, 1 when that term is in no initiative) and
`phrase` (the share of the question's adjacent word pairs it contains). `AbstainModel` is a
logistic regression over per-question aggregates of these, stored as plain JSON
(`abstain.json`, written by `eval/fit_abstain.py`). Deliberately no model files, no pickle.
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .models import Hit
from .text import tokenize

_LIST_QUESTION = re.compile(
    r"\b(which|what|list|name|how many)\b[^?]{0,40}\b(councils|local authorities|boroughs|"
    r"cities|authorities)\b|\bany (council|local authority|borough)\b",
    re.I,
)

# Words every "which councils…" question has: they say nothing about the topic.
GENERIC = frozenset(
    {
        "council", "councils", "local", "authority", "authoritie", "borough", "city",
        "county", "which", "london", "uk", "england", "english", "any", "has", "have",
        "done", "doing",
    }
)  # fmt: skip


def query_terms(query: str) -> list[str]:
    """The question's content terms, in order, without repeats or generic words."""
    return [t for t in dict.fromkeys(tokenize(query)) if t not in GENERIC]


def pairs(tokens: Sequence[str]) -> set[tuple[str, str]]:
    """Adjacent token pairs (stop words already dropped by the tokenizer)."""
    return set(zip(tokens, tokens[1:], strict=False))


def document_frequencies(documents: Iterable[str]) -> tuple[int, Counter[str]]:
    """(number of documents, term -> how many contain it): computed once at build time
    over every initiative's title and text, and stored in the index's catalogue."""
    df: Counter[str] = Counter()
    n = 0
    for text in documents:
        df.update(set(tokenize(text)))
        n += 1
    return n, df


class TermStats:
    """Document frequencies of terms over initiatives, read from the index for the terms
    a query has (never loaded whole: a million-chunk index opens in a second)."""

    def __init__(self, n: int, lookup: Callable[[Sequence[str]], Mapping[str, int]]) -> None:
        self.n = n
        # Bounded: a stream of made-up words must not grow the cache without end.
        self.df = lru_cache(maxsize=50_000)(lambda term: lookup([term]).get(term, 0))
        self.max_idf = math.log((n + 1) / 0.5)  # the idf of a term in no initiative

    def idf(self, term: str) -> float:
        """Smoothed inverse document frequency (> 0 for every term)."""
        return math.log((self.n + 1) / (self.df(term) + 0.5))

    def support(self, query: str, tokens: Sequence[str]) -> dict[str, float]:
        """coverage, missing and phrase (see the module docstring) for `query` of a text
        whose tokens (`text.tokenize`, in order) are `tokens`."""
        return self.judge(query)(tokens)

    def judge(self, query: str) -> Callable[[Sequence[str]], dict[str, float]]:
        """`support` for one question, its terms, weights and word pairs worked out once
        for the many initiatives an answer judges."""
        terms = query_terms(query)
        weights = {t: self.idf(t) for t in terms}
        wanted = pairs([t for t in tokenize(query) if t not in GENERIC])

        def support(tokens: Sequence[str]) -> dict[str, float]:
            if not terms:
                return {"coverage": 0.0, "missing": 0.0, "phrase": 0.0}
            present = set(tokens)
            coverage = sum(w for t, w in weights.items() if t in present) / sum(weights.values())
            missing = max((w for t, w in weights.items() if t not in present), default=0.0)
            phrase = len(wanted & pairs(tokens)) / len(wanted) if wanted else coverage
            return {
                "coverage": round(coverage, 4),
                "missing": round(missing / self.max_idf, 4),
                "phrase": round(phrase, 4),
            }

        return support


def question_features(
    query: str, scores: Sequence[Mapping[str, float | int | None]]
) -> dict[str, float]:
    """Per-question signals from the top hits' scores: best dense cosine, best coverage,
    the smallest `missing` (does any hit hold every rare term?), best phrase share,
    agreement between BM25 and dense (share of the top 5 both rank in their top 10), and
    how many content terms the question has (`n_terms`: a long, detailed question that a
    passage paraphrases covers fewer of its words than a short one the reports answer)."""

    def best(name: str, worst: float = 0.0) -> float:
        return max((float(v) for s in scores if (v := s.get(name)) is not None), default=worst)

    top = scores[:5]
    agree = sum(
        1 for s in top if (s.get("bm25_rank") or 99) <= 10 and (s.get("dense_rank") or 99) <= 10
    )
    return {
        "dense": best("dense"),
        "coverage": best("coverage"),
        "missing": min(
            (float(v) for s in scores if (v := s.get("missing")) is not None), default=1.0
        ),  # fmt: skip
        "phrase": best("phrase"),
        "agree": agree / 5,
        "n_terms": float(len(query_terms(query))),
    }


@dataclass(frozen=True)
class AbstainModel:
    """P(answerable) = sigmoid(bias + sum of coef * (feature - mean) / scale)."""

    features: tuple[str, ...]
    coef: tuple[float, ...]
    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    threshold: float  # abstain when P(answerable) is below this

    def p_answerable(self, features: Mapping[str, float]) -> float:
        """The model's probability that the question is answered by the passages."""
        z = self.bias + sum(
            c * (features[f] - m) / s
            for f, c, m, s in zip(self.features, self.coef, self.mean, self.scale, strict=True)
        )
        return 1 / (1 + math.exp(-z))

    @classmethod
    def load(cls, name: str = "abstain.json") -> AbstainModel:
        """The model shipped in the package (src/councilqa/abstain.json)."""
        data = json.loads((resources.files("councilqa") / name).read_text(encoding="utf-8"))
        return cls(
            tuple(data["features"]), tuple(data["coef"]), float(data["bias"]),
            tuple(data["mean"]), tuple(data["scale"]), float(data["threshold"]),
        )  # fmt: skip


def is_list_question(query: str) -> bool:
    """Whether the question asks which councils (plural, or "any council") did something;
    "which council…" in the singular gets a quoted answer instead."""
    return bool(_LIST_QUESTION.search(query))


# The list cut-off, calibrated on the eval's dev list questions (council recall 1.00,
# precision 0.56; eval/README.md): an initiative is listed when it holds at least
# LIST_COVERAGE of the question's IDF-weighted content terms and its best chunk's cosine is
# at least LIST_DENSE, or when it is among the top LIST_HEAD and holds some of the terms.
LIST_COVERAGE, LIST_DENSE, LIST_HEAD, LIST_HEAD_COVERAGE = 0.4, 0.4, 5, 0.2


def on_topic(hit: Hit) -> bool:
    """Whether a hit passes the list cut-off (see LIST_COVERAGE)."""
    coverage = float(hit.scores.get("coverage") or 0.0)
    dense = float(hit.scores.get("dense") or 0.0)
    if hit.rank and hit.rank <= LIST_HEAD and coverage >= LIST_HEAD_COVERAGE:
        return True
    return coverage >= LIST_COVERAGE and dense >= LIST_DENSE


def list_score(hit: Hit) -> float:
    """How squarely a listed initiative does the thing: term coverage plus cosine, so one
    that holds the question's words ranks above one merely about the topic."""
    return float(hit.scores.get("coverage") or 0.0) + float(hit.scores.get("dense") or 0.0)
