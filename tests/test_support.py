"""Support signals by hand: IDF-weighted coverage, the rarest missing term, word pairs,
per-question aggregates, and the plain-JSON abstention model."""

import math

import pytest

from councilqa.support import (
    AbstainModel,
    TermStats,
    document_frequencies,
    query_terms,
    question_features,
)
from councilqa.text import tokenize

DOCS = ["energy company in Liverpool", "energy grant fund", "bus company", "parks and trees"]


def test_query_terms_drop_generic_words():
    assert query_terms("Which councils run energy companies?") == ["run", "energy", "company"]
    assert query_terms("") == [] and query_terms("which council") == []


def test_support_by_hand():
    n, df = document_frequencies(DOCS)
    stats = TermStats(n, lambda terms: {t: df[t] for t in terms if t in df})
    assert stats.n == 4 and stats.df("energy") == 2 and stats.df("absent") == 0
    assert stats.idf("energy") == pytest.approx(math.log(5 / 2.5))
    s = stats.support("energy company", tokenize("energy company in Liverpool"))
    assert s == {"coverage": 1.0, "missing": 0.0, "phrase": 1.0}
    s = stats.support("energy company", tokenize("energy grant fund"))
    assert s["coverage"] == pytest.approx(0.5) and s["phrase"] == 0.0
    assert 0 < s["missing"] < 1
    s = stats.support("tourist tax", tokenize("energy grant fund"))  # terms in no document
    assert s["coverage"] == 0.0 and s["missing"] == 1.0
    assert stats.support("", tokenize("anything")) == {
        "coverage": 0.0,
        "missing": 0.0,
        "phrase": 0.0,
    }


def test_question_features():
    scores = [
        {
            "dense": 0.6,
            "coverage": 0.5,
            "missing": 0.4,
            "phrase": 0.2,
            "bm25_rank": 1,
            "dense_rank": 3,
        },
        {
            "dense": 0.4,
            "coverage": 0.9,
            "missing": 0.8,
            "phrase": 0.0,
            "bm25_rank": 20,
            "dense_rank": 1,
        },
    ]
    f = question_features("Which councils run municipal energy companies?", scores)
    assert f == {
        "dense": 0.6, "coverage": 0.9, "missing": 0.4, "phrase": 0.2, "agree": 0.2,
        "n_terms": 4.0,  # run, municipal, energy, company: "which councils" is generic
    }  # fmt: skip
    assert question_features("", [])["missing"] == 1.0


def test_abstain_model_loads_and_scores():
    model = AbstainModel.load()
    assert len(model.features) == len(model.coef) == len(model.mean) == len(model.scale)
    at_mean = dict(zip(model.features, model.mean, strict=True))
    assert model.p_answerable(at_mean) == pytest.approx(1 / (1 + math.exp(-model.bias)))


def test_term_statistics_come_from_the_catalogue(service):
    """The index stores each term's document frequency; a query reads only its terms."""
    catalog = service.catalog
    counts = catalog.term_counts(["energy", "council", "zzznotaword"])
    assert counts["council"] > counts["energy"] > 0 and "zzznotaword" not in counts
    texts = [catalog.initiative_text(i) for i in catalog.iter_initiatives()]
    n, df = document_frequencies(texts)
    assert n == catalog.initiative_count and df["energy"] == counts["energy"]
