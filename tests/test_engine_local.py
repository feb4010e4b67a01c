"""The local backend against references: rank-bm25 for BM25+, brute force for dense search,
and plain Python predicates for filters, on windows of the real corpus texts."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Plus

from councilqa.engine import Backend, ChunkRecord
from councilqa.engine.dense import DenseParams
from councilqa.engine.lexical import build_lexical, open_lexical
from councilqa.engine.local import build, open_backend
from councilqa.engine.rowfilter import build_filters, open_filters
from councilqa.models import Filters
from councilqa.text import tokenize

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
COUNCILS = ("camden", "hackney", "leeds", "york", "bristol", "kent")
SECTIONS = ("Housing", "Climate Response", "Transport", "Health")
DIM = 32


def _windows(width: int = 800) -> list[tuple[str, str]]:
    """(source, text) windows of the real corpus files: real chunk texts, no pipeline."""
    return [
        (path.name, text[i : i + width])
        for path in sorted(CORPUS.glob("*.txt"))
        for text in [path.read_text(encoding="utf-8")]
        for i in range(0, len(text), width)
    ]


def _records() -> list[ChunkRecord]:
    return [
        ChunkRecord(
            id=f"c{row:05d}",
            initiative_id=f"i{row // 3}",
            text=text,
            # One or two councils per chunk, so a chunk can match through either.
            councils=tuple(dict.fromkeys((COUNCILS[row % 6], COUNCILS[row * 7 % 5]))),
            source=source,
            section=SECTIONS[row // 2 % 4],
        )
        for row, (source, text) in enumerate(_windows())
    ]


def _unit(rng: np.random.Generator, n: int, centres: int = 20) -> np.ndarray:
    """Unit vectors near a few centres, as embeddings cluster by topic."""
    centre = rng.standard_normal((centres, DIM))
    x = centre[rng.integers(0, centres, n)] + 0.6 * rng.standard_normal((n, DIM))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def records() -> list[ChunkRecord]:
    return _records()


@pytest.fixture(scope="module")
def vectors(records: list[ChunkRecord]) -> np.ndarray:
    return _unit(np.random.default_rng(0), len(records))


@pytest.fixture(scope="module")
def backend(
    tmp_path_factory: pytest.TempPathFactory, records: list[ChunkRecord], vectors: np.ndarray
) -> Backend:
    directory = tmp_path_factory.mktemp("local")
    build(directory, records, vectors)
    return open_backend(directory)


def _queries(records: list[ChunkRecord], n: int = 200) -> list[str]:
    """Queries of 1-6 indexed words drawn from the chunks, so every one has matches."""
    rng = random.Random(7)
    texts = [tokenize(r.text) for r in records if tokenize(r.text)]
    return [
        " ".join(rng.sample(words, min(len(words), rng.randint(1, 6))))
        for words in rng.sample(texts, n)
    ]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_bm25_ranks_like_rank_bm25_plus(
    tmp_path: Path, records: list[ChunkRecord], dtype: str
) -> None:
    build_lexical(tmp_path, records, dtype=dtype)
    lexical = open_lexical(
        tmp_path,
        np.array([r.id.encode() for r in records]),
        open_filters(*_filters_dir(tmp_path, records)),
    )
    corpus = [tokenize(r.text) for r in records]
    reference = BM25Plus(corpus)
    overlaps, same_order, worst = [], 0, 0.0
    for query in _queries(records):
        expected = reference.get_scores(tokenize(query))
        got = lexical.search(query, None, Filters(), 10)
        rows = [int(chunk_id[1:]) for chunk_id, _ in got]
        # rank-bm25 scores every chunk; only those holding a query term count as matches.
        matched = np.flatnonzero([bool(set(tokenize(query)) & set(d)) for d in corpus])
        top = matched[np.lexsort((matched, -expected[matched]))][:10].tolist()
        overlaps.append(len(set(rows) & set(top)) / len(top))
        same_order += rows == top
        scores = np.array([s for _, s in got])
        worst = max(worst, float(np.max(np.abs(scores - expected[rows]) / expected[rows])))
    print(f"{dtype}: overlap {np.mean(overlaps):.4f}, same order {same_order}, worst {worst:.2e}")
    assert np.mean(overlaps) >= 0.99
    # float32 postings round each term's score; float64 ones agree to summation order.
    assert worst < (1e-6 if dtype == "float32" else 1e-12)


def _filters_dir(directory: Path, records: list[ChunkRecord]) -> tuple[Path, int]:
    build_filters(directory, records)
    return directory, len(records)


def _passes(record: ChunkRecord, filters: Filters) -> bool:
    """The reference predicate: any listed value per field, every listed field."""
    return (
        (not filters.councils or bool(set(record.councils) & set(filters.councils)))
        and (not filters.sources or record.source in filters.sources)
        and (not filters.sections or record.section in filters.sections)
    )


FILTERS = [
    Filters(councils=("camden",)),
    Filters(councils=("camden", "leeds")),
    Filters(sources=("001_d679821f94e2f5da.txt",)),
    Filters(sections=("Housing", "Health")),
    Filters(councils=("york",), sections=("Transport",)),
    Filters(councils=("kent",), sources=("000_c784534927fe7cd5.txt",), sections=("Health",)),
]


@pytest.mark.parametrize("filters", FILTERS, ids=repr)
@pytest.mark.parametrize("side", ["lexical", "dense"])
def test_filters_keep_exactly_the_passing_chunks(
    backend: Backend, records: list[ChunkRecord], vectors: np.ndarray, filters: Filters, side: str
) -> None:
    passing = {r.id for r in records if _passes(r, filters)}
    assert passing  # each case selects something
    retriever = getattr(backend, side)
    query = "housing council climate"
    got = retriever.search(query, vectors[3], filters, len(records))
    assert {chunk_id for chunk_id, _ in got} <= passing
    if side == "dense":  # dense ranks every allowed chunk: k above the set returns them all
        assert {chunk_id for chunk_id, _ in got} == passing
        exact = sorted(float(vectors[int(c[1:])] @ vectors[3]) for c in passing)[::-1]
        assert [s for _, s in got] == pytest.approx(exact, abs=1e-5)


@pytest.mark.parametrize(
    "filters",
    [
        Filters(councils=("nowhere",)),
        Filters(sources=("missing.txt",)),
        Filters(councils=("camden",), sections=("No Such Section",)),
    ],
    ids=repr,
)
def test_filters_matching_nothing_return_nothing(
    backend: Backend, vectors: np.ndarray, filters: Filters
) -> None:
    assert backend.lexical.search("housing", vectors[0], filters, 10) == []
    assert backend.dense.search("housing", vectors[0], filters, 10) == []


@pytest.mark.parametrize("query", ["", "the of and", "!!!", "zzqxv"])
def test_lexical_without_known_tokens_returns_nothing(backend: Backend, query: str) -> None:
    assert backend.lexical.search(query, None, Filters(), 10) == []


def test_dense_without_vector_returns_nothing(backend: Backend) -> None:
    assert backend.dense.search("housing", None, Filters(), 10) == []


def test_results_are_best_first_with_ties_by_row(backend: Backend, vectors: np.ndarray) -> None:
    for side in (backend.lexical, backend.dense):
        got = side.search("housing homes", vectors[5], Filters(), 50)
        assert len(got) == 50
        keys = [(-s, c) for c, s in got]  # ids follow row order here
        assert keys == sorted(keys)


def test_round_trip_opens_the_same_answers(
    tmp_path: Path, backend: Backend, records: list[ChunkRecord], vectors: np.ndarray
) -> None:
    manifest = build(tmp_path, records, vectors)
    assert manifest["chunks"] == len(records)
    assert manifest["dense"]["kind"] == "IndexFlatIP"
    reopened = open_backend(tmp_path)
    filters = Filters(councils=("leeds",))
    for query, vector in [("school meals", vectors[1]), ("bus lanes cycling", vectors[9])]:
        assert reopened.lexical.search(query, None, filters, 20) == backend.lexical.search(
            query, None, filters, 20
        )
        assert reopened.dense.search(query, vector, filters, 20) == backend.dense.search(
            query, vector, filters, 20
        )


@pytest.mark.parametrize("brute_force_below", [10**9, 0], ids=["brute-force", "selector"])
def test_hnsw_above_threshold_finds_the_exact_neighbours(
    tmp_path: Path, brute_force_below: int
) -> None:
    rng = np.random.default_rng(1)
    n = 4000
    vectors = _unit(rng, n)
    records = [
        ChunkRecord(f"c{row:05d}", f"i{row}", "housing", (COUNCILS[row % 6],), "s.txt", "Housing")
        for row in range(n)
    ]
    # 32-d noisy clusters are harder for HNSW than real embeddings: search it wider.
    params = DenseParams(flat_below=1000, ef_search=200, brute_force_below=brute_force_below)
    manifest = build(tmp_path, records, vectors, params)
    assert manifest["dense"]["kind"] == "IndexHNSWFlat"
    dense = open_backend(tmp_path).dense
    queries = _unit(rng, 100)
    for filters in (Filters(), Filters(councils=("camden",))):
        allowed = np.array([_passes(r, filters) for r in records])
        recall = []
        for q in queries:
            exact = np.argsort(-np.where(allowed, vectors @ q, -np.inf), kind="stable")[:10]
            got = {int(c[1:]) for c, _ in dense.search("", q, filters, 10)}
            recall.append(len(got & set(exact.tolist())) / 10)
        assert np.mean(recall) >= 0.95, (filters, np.mean(recall))
