"""The search pipeline: modes, scores that explain the ranking, one result per initiative,
filters before fusion, named councils, passages and highlights, and bad input."""

import pytest

from councilqa import passages
from councilqa.errors import QueryError
from councilqa.models import Filters
from councilqa.search import check_query
from councilqa.text import sentence_spans, tokenize

from .conftest import source_text


def test_tokenize():
    assert tokenize("Which councils run the Councils' energy companies?") == [
        "council", "run", "council", "energy", "company",
    ]  # fmt: skip
    assert tokenize("") == [] and tokenize("the of and") == []
    assert tokenize("£5m for Lambeth’s") == ["£5m", "lambeth"]


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
    k, weights = searcher.params.rrf_k, searcher.weights
    for hit in hits:
        s = hit.scores
        assert s["bm25_rank"] is not None or s["dense_rank"] is not None
        expected = sum(
            weights[name] / (k + s[f"{name}_rank"])
            for name in ("bm25", "dense", "named", "section")
            if s[f"{name}_rank"]
        )
        assert hit.score == pytest.approx(expected)
    assert any(h.scores["named_rank"] for h in hits)  # Southwark is named
    dense_only = searcher.search("apprenticeships in Southwark", 5, "dense")
    assert all(h.scores["bm25"] is None and h.scores["dense"] is not None for h in dense_only)


def test_one_passage_per_initiative(searcher):
    hits = searcher.search("housing", 50, "hybrid")
    ids = [h.initiative.id for h in hits]
    assert len(ids) == len(set(ids)) == 50


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_filters_apply_before_fusion(searcher, mode):
    lambeth = Filters(councils=("Lambeth",))
    hits = searcher.search("Lambeth housing", 5, mode, lambeth)
    assert len(hits) == 5  # enough Lambeth initiatives exist: filtering first keeps top_k
    assert all("London Borough of Lambeth" in h.initiative.councils for h in hits)
    source = searcher.sources[3]
    hits = searcher.search("council young people", 8, mode, Filters(sources=(source,)))
    assert len(hits) == 8 and {h.passage.source for h in hits} == {source}
    hits = searcher.search("recycling", 3, mode, Filters(sections=("environment",)))
    assert hits and all("environment" in h.initiative.section.lower() for h in hits)


def test_filtered_search_returns_what_exists(searcher, service):
    gedling = [
        i for i in service.catalog.iter_initiatives() if any("Gedling" in c for c in i.councils)
    ]
    hits = searcher.search("anything at all", 50, "hybrid", Filters(councils=("Gedling",)))
    assert 0 < len(hits) <= len(gedling)
    assert {h.initiative.id for h in hits} <= {i.id for i in gedling}


@pytest.mark.parametrize(
    ("filters", "message"),
    [
        (Filters(councils=("Atlantis",)), "unknown council 'Atlantis'.*GET /councils"),
        (Filters(councils=("Lambeht",)), "did you mean: London Borough of Lambeth"),
        (Filters(sources=("nope.txt",)), "unknown source 'nope.txt'.*GET /documents"),
        (Filters(sections=("Underwater basket weaving",)), "unknown section.*GET /sections"),
        (Filters(sections=("",)), "unknown section ''"),
        (Filters(councils=(" ",)), "unknown council"),
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


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "query is empty"),
        ("   ", "query is empty"),
        ("\u200b\u200b", "query is empty"),
        ("\ufeff\u2060", "query is empty"),
        ("energy \ud800 company", "invalid character at position 7"),
        ("x" * 1001, "1001 characters long; the limit is 1000"),
    ],
)
def test_check_query(query, message):
    with pytest.raises(QueryError, match=message):
        check_query(query, 1000)


@pytest.mark.parametrize("query", ["a", "é", "Lambeth’s “Made” programme", "  energy  "])
def test_check_query_accepts(query):
    assert check_query(query, 1000) == query.strip()


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_passages_and_highlights_are_source_spans(searcher, mode):
    for hit in searcher.search("apprenticeships for young people", 10, mode):
        p = hit.passage
        text = source_text(p.source)
        assert p.text == text[p.start : p.end]
        assert not text[p.end : p.end + 1].isalnum() or p.end == len(text)  # never mid-word
        assert all(p.start <= h.start < h.end <= p.end for h in p.highlights)


def test_passage_is_the_whole_initiative_when_short(searcher):
    for hit in searcher.search("Liverpool energy company", 5, "hybrid"):
        span = hit.initiative.spans[0]
        if (
            len(hit.initiative.spans) == 1
            and span.end - span.start <= searcher.params.passage_chars
        ):
            assert (hit.passage.start, hit.passage.end) == (span.start, span.end)
    first = searcher.search("Liverpool LECCy energy company", 1, "hybrid")[0]
    assert first.passage.highlights  # the matching sentences are marked
    marked = " ".join(
        source_text(first.passage.source)[h.start : h.end] for h in first.passage.highlights
    )
    assert "energy" in marked.lower()


def test_section_ranking_only_for_award_category_questions(searcher):
    category = "Which entries were shortlisted for Climate Response?"
    assert searcher.named_rankings(category, searcher.embedder.embed([category])[0], Filters())[
        "section"
    ]
    plain = "How are councils planning their climate response?"
    assert (
        searcher.named_rankings(plain, searcher.embedder.embed([plain])[0], Filters())["section"]
        == []
    )
    hits = searcher.search(category, 5)
    assert all(h.initiative.section == "Climate Response" for h in hits)
    assert all(h.scores["section_rank"] for h in hits)


def test_answer_hits_carry_support_scores(searcher, service):
    """Only answers need support (council lists, abstention): /search leaves it out."""
    query = "Liverpool energy company"
    assert "coverage" not in searcher.search(query, 1)[0].scores
    hit = searcher.answer_hits(query, 1)[0]
    assert 0 < hit.scores["coverage"] <= 1 and 0 <= hit.scores["phrase"] <= 1
    assert 0 <= hit.scores["missing"] <= 1
    full_text = service.catalog.initiative_text(hit.initiative)
    assert {k: hit.scores[k] for k in ("coverage", "missing", "phrase")} == searcher.stats.support(
        query, tokenize(full_text)
    )


@pytest.mark.parametrize("query", ["Liverpool energy company", "companies' apprenticeships", "y"])
def test_highlights_equal_tokenizing_every_sentence(searcher, service, query):
    """Remembering passages' sentences only skips work: highlights match splitting and
    tokenizing each passage afresh, first time and again."""
    terms = set(tokenize(query))
    passages._sentences.cache_clear()
    first, again = searcher.search(query, 10), searcher.search(query, 10)
    assert first == again and passages._sentences.cache_info().hits >= len(again)
    for hit in again:
        p, text = hit.passage, service.catalog.text(hit.passage.source)
        chunk = service.catalog.chunks([hit.chunk_id])[hit.chunk_id]
        want = []
        for s, e in sentence_spans(text, p.start, p.end):
            in_chunk = s < chunk.end and e > chunk.start
            if len(terms & set(tokenize(text[s:e]))) >= (1 if in_chunk else min(2, len(terms))):
                want.append((s, e))
        assert [(m.start, m.end) for m in p.highlights] == want
