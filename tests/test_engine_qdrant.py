"""The Qdrant backend, run by the real qdrant-client in local mode (never a mock) over the real
corpus: chunks as the index builds them, vectors from a hashing embedder (no model)."""

from __future__ import annotations

import hashlib
import json
import math
import warnings
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from qdrant_client import models
from rank_bm25 import BM25Okapi, BM25Plus

from councilqa.chunking import chunk_initiative
from councilqa.corpus import load_reports
from councilqa.councils import place_key
from councilqa.engine import ChunkRecord, qdrant
from councilqa.errors import IndexLoadError
from councilqa.fusion import rrf
from councilqa.models import Filters
from councilqa.text import token_counter, tokenize

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
QUESTIONS = [
    json.loads(line)["question"]
    for line in (ROOT / "eval/questions.jsonl").read_text().splitlines()
]
DIM = 64


def hash_embed(text: str) -> np.ndarray:
    """A bag of hashed tokens, normalised: deterministic, and similar for similar words."""
    vector = np.zeros(DIM, dtype=np.float32)
    for token in tokenize(text):
        vector[qdrant.term_index(token) % DIM] += 1.0
    norm = np.linalg.norm(vector)
    return vector / norm if norm else vector


def corpus_records() -> list[ChunkRecord]:
    """Every chunk of the real corpus, as the index builder chunks it (200 tokens, 32 overlap)."""
    from councilqa.resolve import parse_corpus

    reports = load_reports(CORPUS)
    texts = {r.source: (CORPUS / r.source).read_text(encoding="utf-8") for r in reports}
    count = token_counter("cl100k_base")
    records = []
    for item in parse_corpus(texts):
        councils = tuple(place_key(c) for c in item.councils)
        for chunk in chunk_initiative(item, texts[item.source], count, 200, 32):
            records.append(
                ChunkRecord(
                    chunk.id, item.id, chunk.indexed_text, councils, item.source, item.section
                )
            )
    return records


@pytest.fixture(scope="module")
def records() -> list[ChunkRecord]:
    return corpus_records()


@pytest.fixture(scope="module")
def built(tmp_path_factory, records):
    """The collection built once in local mode: (directory, manifest)."""
    directory = tmp_path_factory.mktemp("qdrant-index")
    vectors = np.stack([hash_embed(r.text) for r in records])
    return directory, qdrant.build(directory, records, vectors)


@pytest.fixture(scope="module")
def backend(built):
    """The built collection opened once for the module (local mode: one opener at a time)."""
    opened = qdrant.open_backend(built[0])
    yield opened
    opened.close()


def test_build_manifest(built, records):
    manifest = built[1]
    assert manifest["points"] == len(records) > 500
    assert manifest["collection"] == "councilqa" and manifest["url"] == "local"
    assert manifest["dimension"] == DIM and manifest["bm25"]["k1"] == 1.5
    assert manifest["qdrant_client"].count(".") >= 1


def test_collection_scores_sparse_with_idf(backend):
    info = backend.store.client.get_collection("councilqa")
    assert info.config.params.sparse_vectors["bm25"].modifier == models.Modifier.IDF
    assert info.config.metadata["avgdl"] > 0
    # Local mode accepts keyword payload indexes but keeps none (it filters by scanning);
    # only a server reports them in payload_schema.
    assert info.payload_schema == {}


def test_build_rejects_mismatched_vectors(tmp_path, records):
    with pytest.raises(ValueError, match="3 records but 2 vectors"):
        qdrant.build(tmp_path, records[:3], np.zeros((2, DIM), dtype=np.float32))


def test_term_index_is_stable():
    # The index stores these numbers: a change of hash makes every built index stale.
    assert qdrant.term_index("housing") == int.from_bytes(
        hashlib.blake2b(b"housing", digest_size=4).digest(), "little"
    )
    assert 0 <= qdrant.term_index("£") < 2**32


def test_document_and_query_vectors():
    doc = qdrant.document_vector(["beaver", "beaver", "river"], avgdl=3.0)
    weights = dict(zip(doc.indices, doc.values, strict=True))
    assert weights[qdrant.term_index("beaver")] == pytest.approx(2 * 2.5 / (2 + 1.5))
    assert weights[qdrant.term_index("river")] == pytest.approx(2.5 / (1 + 1.5))
    assert doc.indices == sorted(doc.indices)
    query = qdrant.query_sparse(["beaver", "beaver", "river"])
    assert sorted(query.values) == [1.0, 2.0]  # a repeated query token counts twice


def lucene_scores(corpus: list[list[str]], query: list[str]) -> np.ndarray:
    """BM25 with Qdrant's idf ln(1 + (N-df+0.5)/(df+0.5)), k1=1.5, b=0.75, by hand."""
    n, avgdl = len(corpus), sum(map(len, corpus)) / len(corpus)
    df = Counter(t for doc in corpus for t in set(doc))
    scores = np.zeros(n)
    for row, doc in enumerate(corpus):
        tf, norm = Counter(doc), 1.5 * (0.25 + 0.75 * len(doc) / avgdl)
        for t in query:
            if tf[t]:
                idf = math.log(1 + (n - df[t] + 0.5) / (df[t] + 0.5))
                scores[row] += idf * tf[t] * 2.5 / (tf[t] + norm)
    return scores


def test_lexical_scores_are_bm25(backend, records):
    corpus = [tokenize(r.text) for r in records]
    for question in QUESTIONS[:10]:
        expected = sorted(lucene_scores(corpus, tokenize(question)), reverse=True)[:10]
        got = [score for _, score in backend.lexical.search(question, None, Filters(), 10)]
        assert got == pytest.approx(expected, rel=1e-4)


@pytest.mark.parametrize(("variant", "floor"), [(BM25Plus, 0.95), (BM25Okapi, 0.9)])
def test_lexical_ranking_overlaps_rank_bm25(backend, records, variant, floor):
    ids = [r.id for r in records]
    reference = variant([tokenize(r.text) for r in records], k1=1.5, b=0.75)
    overlaps = []
    for question in QUESTIONS:
        scores = reference.get_scores(tokenize(question))
        top = {ids[i] for i in np.argsort(-scores, kind="stable")[:10]}
        got = {cid for cid, _ in backend.lexical.search(question, None, Filters(), 10)}
        overlaps.append(len(got & top) / 10)
    assert np.mean(overlaps) >= floor


ISLINGTON, JOBS = "islington", "Creating jobs and helping people get new skills"
FILTERS = {
    "council": Filters(councils=(ISLINGTON,)),
    "councils": Filters(councils=(ISLINGTON, "southwark")),
    "source": Filters(sources=("002_974d198bda548210.txt",)),
    "sources": Filters(sources=("002_974d198bda548210.txt", "003_1c9611eba46e20b9.txt")),
    "section": Filters(sections=("Most Improved Council",)),
    "council+source": Filters(councils=(ISLINGTON,), sources=("000_c784534927fe7cd5.txt",)),
    "council+section": Filters(councils=(ISLINGTON,), sections=(JOBS,)),
    "all three": Filters(
        councils=(ISLINGTON, "lancashire"),
        sources=("000_c784534927fe7cd5.txt",),
        sections=(JOBS, "Improving education and supporting children"),
    ),
    "disjoint": Filters(councils=("enfield",), sources=("002_974d198bda548210.txt",)),
}


def passes(record: ChunkRecord, filters: Filters) -> bool:
    """Within a field any listed value, across fields all: the contract, by hand."""
    return (
        (not filters.councils or bool(set(filters.councils) & set(record.councils)))
        and (not filters.sources or record.source in filters.sources)
        and (not filters.sections or record.section in filters.sections)
    )


@pytest.mark.parametrize("name", FILTERS)
def test_filters_select_exactly_the_matching_chunks(backend, records, name):
    filters = FILTERS[name]
    wanted = {r.id for r in records if passes(r, filters)}
    assert bool(wanted) == (name != "disjoint")
    # k above the match set: the dense side (every chunk has a vector) returns all of them,
    # which a post-filter of a truncated top-k could not.
    query = "jobs skills housing children council"
    dense = backend.dense.search(query, hash_embed(query), filters, len(records))
    assert {cid for cid, _ in dense} == wanted
    lexical = backend.lexical.search(query, None, filters, len(records))
    tokens = set(tokenize(query))
    has_term = {r.id for r in records if tokens & set(tokenize(r.text))}
    assert {cid for cid, _ in lexical} == wanted & has_term
    hybrid = backend.hybrid(query, hash_embed(query), filters, 20)
    assert {cid for cid, _ in hybrid} <= wanted


def test_k_above_matches_returns_all_best_first(backend, records):
    filters = FILTERS["council+section"]
    wanted = {r.id for r in records if passes(r, filters)}
    hits = backend.dense.search("jobs", hash_embed("jobs"), filters, 1000)
    assert len(hits) == len(wanted) < 1000
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("query", ["", "   ", "the of and", "?!"])
def test_query_without_tokens_finds_nothing_lexically(backend, query):
    assert backend.lexical.search(query, None, Filters(), 10) == []


def test_dense_without_vector_and_k_zero(backend):
    assert backend.dense.search("housing", None, Filters(), 10) == []
    assert backend.lexical.search("housing", None, Filters(), 0) == []


def test_hybrid_equal_weights_is_fusion_rrf(backend):
    for question in QUESTIONS[:10]:
        vector = hash_embed(question)
        lexical = [cid for cid, _ in backend.lexical.search(question, None, Filters(), 50)]
        dense = [cid for cid, _ in backend.dense.search(question, vector, Filters(), 50)]
        expected = rrf([lexical, dense], k=10)[:10]
        got = backend.hybrid(
            question, vector, Filters(), 10, rrf_k=10, dense_weight=1.0, candidates=50
        )
        assert [cid for cid, _ in got] == [cid for cid, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected])


def test_hybrid_weighted_holds_both_tops(backend):
    question = "Which London borough has brought beavers back into the wild?"
    vector = hash_embed("community recycling waste collection")  # points elsewhere on purpose
    lexical = backend.lexical.search(question, None, Filters(), 100)
    dense = backend.dense.search(question, vector, Filters(), 100)
    assert lexical[0][0] != dense[0][0]
    fused = [cid for cid, _ in backend.hybrid(question, vector, Filters(), 5, 10, 1.5)]
    assert {lexical[0][0], dense[0][0]} <= set(fused)
    assert fused[0] == dense[0][0]  # dense weighs 1.5: its first beats BM25's first


def test_hybrid_degrades_to_one_side(backend):
    vector = hash_embed("beavers")
    dense = backend.dense.search("", vector, Filters(), 3)
    assert [c for c, _ in backend.hybrid("", vector, Filters(), 3)] == [c for c, _ in dense]
    lexical = backend.lexical.search("beavers", None, Filters(), 3)
    assert [c for c, _ in backend.hybrid("beavers", None, Filters(), 3)] == [c for c, _ in lexical]
    assert backend.hybrid("the", None, Filters(), 3) == []


def test_reopen_from_disk(tmp_path, records):
    some = records[:100]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # local mode's payload-index warning is expected, muted
        qdrant.build(tmp_path, some, np.stack([hash_embed(r.text) for r in some]))
    first = qdrant.open_backend(tmp_path)
    before = first.lexical.search("housing", None, Filters(), 5)
    with pytest.raises(IndexLoadError, match="already accessed by another instance"):
        qdrant.open_backend(tmp_path)  # local mode: one opener at a time
    first.close()
    again = qdrant.open_backend(tmp_path)
    assert again.lexical.search("housing", None, Filters(), 5) == before != []
    again.close()


def test_open_missing_collection(tmp_path):
    with pytest.raises(IndexLoadError, match="no Qdrant collection 'councilqa'"):
        qdrant.open_backend(tmp_path)


def test_eval_is_the_same_with_the_qdrant_backend(settings, embedder, service, tmp_path):
    """The same index in Qdrant (local mode, the same client code as a server) gives the
    same eval figures as the local backend, within 0.02 on every metric."""
    import shutil

    from councilqa.build import build_index
    from councilqa.config import build_config
    from councilqa.eval.gold import load_questions
    from councilqa.eval.run import evaluate, summarise
    from councilqa.service import open_service

    qdrant_settings = settings.model_copy(
        update={"index_dir": tmp_path / "index", "backend": "qdrant"}
    )
    shutil.copytree(settings.index_dir, qdrant_settings.index_dir)  # vectors are reused
    manifest = build_index(
        settings.corpus_dir,
        qdrant_settings.index_dir,
        build_config(qdrant_settings),
        embedder,
        lambda m: None,
    )
    assert manifest["backend"] == "qdrant" and manifest["embedded"]["new"] == 0
    other = open_service(qdrant_settings, embedder)
    questions = load_questions(ROOT / "eval" / "questions.jsonl", service.catalog.text)
    local = summarise(evaluate(service.searcher, questions, "hybrid", 10))["overall"]
    remote = summarise(evaluate(other.searcher, questions, "hybrid", 10))["overall"]
    for name, value in local.items():
        assert abs(remote[name] - value) <= 0.02, (name, value, remote[name])
