"""Retrieval: BM25 weighting, modes, filters before fusion, one passage per initiative."""

import math

import numpy as np
import pytest
from rank_bm25 import BM25Okapi, BM25Plus

from councilqa.errors import QueryError
from councilqa.retrieval import Filters, tokenize


def test_tokenize():
    assert tokenize("Which councils run the Councils' energy companies?") == [
        "council",
        "run",
        "council",
        "energy",
        "company",
    ]
    assert tokenize("") == [] and tokenize("the of and") == []
    assert tokenize("£5m for Lambeth’s") == ["£5m", "lambeth"]


def test_bm25_variant_keeps_weight_of_a_term_in_most_chunks(searcher):
    corpus = [tokenize(c.indexed_text) for c in searcher.chunks]
    df = sum("council" in set(doc) for doc in corpus) / len(corpus)
    assert df > 0.5  # "council" is in most chunks: the case Okapi handles badly
    okapi, plus = BM25Okapi(corpus), BM25Plus(corpus)
    # Okapi's idf is negative past half the documents and is floored to epsilon * mean idf.
    assert okapi.idf["council"] == pytest.approx(okapi.epsilon * okapi.average_idf)
    # BM25Plus (our default) keeps log((N + 1) / n) > 0, in order with rarer terms.
    n = len(corpus)
    df_count = sum("council" in set(doc) for doc in corpus)
    assert plus.idf["council"] == pytest.approx(math.log((n + 1) / df_count))
    assert 0 < plus.idf["council"] < plus.idf["energy"]
    assert searcher.bm25.__class__ is BM25Plus


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_modes_find_liverpool_energy_company(searcher, mode):
    hits = searcher.search(
        "council-owned energy company selling cheaper gas and electricity", 5, mode
    )
    assert hits and hits[0].initiative.councils == ("Liverpool City Council",)
    assert [h.rank for h in hits] == list(range(1, len(hits) + 1))
    assert all(a.score >= b.score for a, b in zip(hits, hits[1:], strict=False))


def test_scores_explain_the_ranking(searcher):
    hits = searcher.search("apprenticeships in Southwark", 10, "hybrid")
    for hit in hits:
        s = hit.scores
        assert s.bm25_rank is not None or s.dense_rank is not None
        k = searcher.rrf_k
        expected = sum(
            w / (k + r)
            for r, w in (
                (s.bm25_rank, 1.0),
                (s.named_rank, 1.0),
                (s.dense_rank, searcher.weights["dense"]),
            )
            if r
        )
        assert hit.score == pytest.approx(expected)
    dense_only = searcher.search("apprenticeships in Southwark", 5, "dense")
    assert all(h.scores.bm25 is None and h.scores.dense is not None for h in dense_only)


def test_one_passage_per_initiative(searcher):
    hits = searcher.search("housing", 50, "hybrid")
    ids = [h.initiative.id for h in hits]
    assert len(ids) == len(set(ids)) == 50


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_filters_apply_before_fusion(searcher, mode):
    lambeth = Filters(councils=("Lambeth",))
    # Every Lambeth chunk's header names Lambeth, so BM25 can match all of them too.
    hits = searcher.search("Lambeth housing", 5, mode, lambeth)
    assert len(hits) == 5  # enough Lambeth initiatives exist: filtering first keeps top_k
    assert all("London Borough of Lambeth" in h.initiative.councils for h in hits)
    source = searcher.sources[3]
    hits = searcher.search("council young people", 8, mode, Filters(sources=(source,)))
    assert len(hits) == 8 and {h.chunk.source for h in hits} == {source}
    hits = searcher.search("recycling", 3, mode, Filters(sections=("environment",)))
    assert hits and all("environment" in h.initiative.section.lower() for h in hits)


def test_filtered_search_returns_what_exists(searcher):
    allowed = searcher.allowed(Filters(councils=("Gedling",)))
    n = len({searcher.chunks[i].initiative_id for i in np.flatnonzero(allowed)})
    hits = searcher.search(
        "anything at all about the council", 50, "hybrid", Filters(councils=("Gedling",))
    )
    assert 0 < len(hits) <= n


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (Filters(councils=("Atlantis",)), "unknown council 'Atlantis'"),
        (Filters(councils=("Lambeht",)), "did you mean: London Borough of Lambeth"),
        (Filters(sources=("nope.txt",)), "unknown source 'nope.txt'"),
        (Filters(sections=("Underwater basket weaving",)), "unknown section"),
    ],
)
def test_unknown_filter_values_are_named(searcher, filters, message):
    with pytest.raises(QueryError, match=message):
        searcher.search("housing", 5, "hybrid", filters)


def test_unknown_mode(searcher):
    with pytest.raises(QueryError, match="unknown mode 'fuzzy'; valid modes: hybrid, dense, bm25"):
        searcher.search("housing", 5, "fuzzy")


def test_query_of_stop_words_only(searcher):
    assert searcher.search("the of and", 5, "bm25") == []
    assert len(searcher.search("the of and", 5, "hybrid")) == 5  # dense still answers


@pytest.mark.parametrize("variant", ["okapi", "l", "plus"])
def test_vectorised_bm25_equals_rank_bm25(searcher, variant):
    from rank_bm25 import BM25L

    from councilqa.retrieval import _postings, bm25_scores

    corpus = [tokenize(c.indexed_text) for c in searcher.chunks]
    reference = {"okapi": BM25Okapi, "l": BM25L, "plus": BM25Plus}[variant](corpus)
    postings = _postings(reference.doc_freqs)
    for query in ["council energy company", "Lambeth Lambeth housing", "zzzunknown", "£5m"]:
        terms = tokenize(query)
        assert np.array_equal(bm25_scores(reference, postings, terms), reference.get_scores(terms))
