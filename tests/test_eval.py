"""The gold set checker, the metrics against hand computations, and the CI floor."""

import json
from pathlib import Path

import pytest

from councilqa.errors import CorpusError
from councilqa.eval.gold import Evidence, load_questions
from councilqa.eval.metrics import (
    council_precision,
    council_recall,
    found_at,
    judge,
    metrics,
    percentile,
)
from councilqa.eval.run import evaluate, summarise

from .conftest import ROOT, source_text

QUESTIONS = ROOT / "eval" / "questions.jsonl"
FLOOR = json.loads((ROOT / "eval" / "floor.json").read_text())


def test_gold_set_is_valid_and_complete():
    questions = load_questions(QUESTIONS, source_text)
    assert len(questions) >= 90
    for kind in ("single", "list", "council", "numeric", "paraphrase", "section", "unanswerable"):
        assert sum(q.kind == kind for q in questions) >= 8, kind
    assert all(2 <= len(q.evidence) <= 8 for q in questions if q.kind == "list")
    assert all(not q.evidence for q in questions if q.kind == "unanswerable")
    test = sum(q.split == "test" for q in questions)
    assert 0.2 <= test / len(questions) <= 0.3


def _line(**overrides):
    row = {
        "id": "q1",
        "question": "?",
        "kind": "single",
        "answer": "a",
        "councils": [],
        "evidence": [
            {
                "source": "000_c784534927fe7cd5.txt",
                "quote": "**Liverpool City Council** is now setting up a new energy company",
            }
        ],
    }
    return json.dumps(row | overrides)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        (["{not json"], "not a valid question"),
        ([_line(), _line()], "duplicate id 'q1'"),
        ([_line(kind="vibes")], "unknown kind 'vibes'"),
        (
            [_line(evidence=[{"source": "nope.txt", "quote": "x" * 50}])],
            "source 'nope.txt': no report 'nope.txt'",
        ),
        (
            [
                _line(
                    evidence=[
                        {"source": "000_c784534927fe7cd5.txt", "quote": "Liverpool City Council"}
                    ]
                )
            ],
            "quote found",
        ),
        (
            [
                _line(
                    evidence=[
                        {
                            "source": "000_c784534927fe7cd5.txt",
                            "quote": "not in the report at all, not anywhere",
                        }
                    ]
                )
            ],
            "quote found 0 times",
        ),
    ],
)
def test_checker_rejects_bad_gold(tmp_path: Path, fake_service, lines, message):
    path = tmp_path / "q.jsonl"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(CorpusError, match=message):
        load_questions(path, fake_service.catalog.text)


def test_judge_and_metrics_by_hand():
    ev = [Evidence("a.txt", 100, 140), Evidence("a.txt", 500, 540)]
    passages = [
        ("b.txt", 100, 140),  # wrong file
        ("a.txt", 0, 115),  # covers 15 of 40 chars: a miss
        ("a.txt", 110, 300),  # covers 30 of 40: hits evidence 0
        ("a.txt", 90, 200),  # evidence 0 again: not relevant twice
        ("a.txt", 520, 600),
    ]  # covers 20 of 40 (exactly half): hits evidence 1
    marks = judge(passages, ev)
    assert marks == [-1, -1, 0, -1, 1]
    m = metrics(marks, 2)
    assert m["hit@1"] == 0 and m["hit@5"] == 1
    assert m["recall@5"] == m["recall@10"] == 1.0
    assert m["mrr@10"] == pytest.approx(1 / 3)
    # DCG = 1/log2(4) + 1/log2(6); IDCG = 1/log2(2) + 1/log2(3)
    assert m["ndcg@10"] == pytest.approx((1 / 2 + 1 / 2.584963) / (1 + 1 / 1.584963), rel=1e-5)


def test_recall_counts_every_quote_a_passage_hits():
    # One long passage holds both quotes of a case study: recall finds both, while MRR and
    # nDCG count the passage once (binary relevance); the strict recall counts it once.
    ev = [Evidence("a.txt", 100, 140), Evidence("a.txt", 500, 540)]
    passages = [("b.txt", 0, 50), ("a.txt", 0, 600)]
    assert found_at(passages, ev) == [2, 2]
    m = metrics(judge(passages, ev), 2, found_at(passages, ev))
    assert m["recall@10"] == 1.0 and m["recall@10_strict"] == 0.5
    assert m["mrr@10"] == 0.5 and m["hit@1"] == 0.0
    assert found_at([], ev) == [None, None]


def test_council_recall_and_precision():
    want = ["Lambeth Council", "Bristol City Council"]
    assert council_recall(want, ["London Borough of Lambeth"]) == 0.5
    assert council_precision(want, ["London Borough of Lambeth", "Leeds City Council"]) == 0.5
    assert council_recall([], []) == 1.0 and council_precision(want, []) == 1.0


def test_percentile_by_nearest_rank():
    values = [15, 20, 35, 40, 50]
    assert [percentile(values, q) for q in (5, 30, 40, 50, 100)] == [15, 20, 20, 35, 50]
    assert percentile([], 50) == 0.0


@pytest.mark.parametrize("metric", ["recall@10", "mrr@10", "ndcg@10"])
def test_hybrid_floor(searcher, hybrid_summary, metric):
    """CI fails when a hybrid metric drops over 0.03 below the figure in eval/floor.json."""
    assert hybrid_summary["overall"][metric] >= FLOOR["hybrid"][metric] - 0.03, hybrid_summary


@pytest.fixture(scope="module")
def hybrid_summary(searcher, service):
    rows = evaluate(
        searcher, load_questions(QUESTIONS, source_text), "hybrid", 10, service.answerer
    )
    return summarise(rows)


def test_list_councils_floor(hybrid_summary):
    assert hybrid_summary["list_council_recall"] >= FLOOR["hybrid"]["list_council_recall"] - 0.05


def test_abstention_floor(hybrid_summary):
    """Near-topic unanswerable questions abstain; answerable ones almost never do."""
    floor = FLOOR["hybrid"]
    assert hybrid_summary["abstain_unanswerable"] >= floor["abstain_unanswerable"] - 0.07
    assert hybrid_summary["abstain_answerable"] <= floor["abstain_answerable"] + 0.025
