"""`councilqa eval`: score retrieval (and abstention) on the gold set, print tables, write
eval/results/<timestamp>.json with every row, the settings and the index manifest."""

from __future__ import annotations

import json
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..config import Settings
from ..models import MODES
from ..text import token_counter
from .gold import KINDS, Question, load_questions
from .metrics import council_precision, council_recall, found_at, judge, metrics, percentile


def evaluate(
    searcher: Any, questions: Sequence[Question], mode: str, top_k: int = 10, answerer: Any = None
) -> list[dict[str, Any]]:
    """One row per question: judged passages, metrics, latency, tokens and abstention."""
    count = token_counter("cl100k_base")
    rows = []
    for q in questions:
        started = time.perf_counter()
        hits = searcher.search(q.question, top_k, mode)
        ms = (time.perf_counter() - started) * 1000
        row: dict[str, Any] = {
            "id": q.id, "kind": q.kind, "split": q.split, "mode": mode,
            "question": q.question, "ms": round(ms, 2),
            "tokens": statistics.fmean(count(h.passage.text) for h in hits) if hits else 0.0,
            "returned": [f"{', '.join(h.initiative.councils) or '-'}: {h.initiative.title}"
                         for h in hits[:3]],
        }  # fmt: skip
        if answerer is not None:
            answer = answerer.extractive(q.question, searcher.answer_hits(q.question, top_k, mode))
            row["abstained"] = answer.abstained
            named = [g.council for g in answer.councils]
            if q.kind == "list":
                row["council_recall"] = council_recall(q.councils, named)
                row["council_precision"] = council_precision(q.councils, named)
        if q.evidence:
            passages = [(h.passage.source, h.passage.start, h.passage.end) for h in hits]
            found = found_at(passages, q.evidence)
            row |= metrics(judge(passages, q.evidence), len(q.evidence), found)
        rows.append(row)
    return rows


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean metrics overall and by kind, latency percentiles and abstention shares."""
    names = ["hit@1", "hit@5", "recall@5", "recall@10", "mrr@10", "ndcg@10", "recall@10_strict"]
    scored = [r for r in rows if "recall@10" in r]
    if not scored:
        return {"n": 0}
    out: dict[str, Any] = {"n": len(scored), "overall": _means(scored, names), "by_kind": {}}
    for kind in KINDS[:-1]:
        group = [r for r in scored if r["kind"] == kind]
        if group:
            out["by_kind"][kind] = _means(group, names) | {"n": len(group)}
    for name in ("council_recall", "council_precision"):
        values = [r[name] for r in scored if name in r]
        out[f"list_{name}"] = round(statistics.fmean(values), 4) if values else None
    out["tokens_per_passage"] = round(statistics.fmean(r["tokens"] for r in rows), 1)
    ms = [r["ms"] for r in rows]
    out["latency_ms"] = {
        "p50": round(statistics.median(ms), 2),
        "p95": round(percentile(ms, 95), 2),
    }
    if rows and "abstained" in rows[0]:
        unans = [r for r in rows if r["kind"] == "unanswerable"]
        out["abstain_unanswerable"] = _share(unans)
        out["abstain_answerable"] = _share(scored)
    return out


def _means(rows: Sequence[dict[str, Any]], names: Sequence[str]) -> dict[str, float]:
    return {n: round(statistics.fmean(r[n] for r in rows), 4) for n in names}


def _share(rows: Sequence[dict[str, Any]]) -> float | None:
    return round(sum(r["abstained"] for r in rows) / len(rows), 4) if rows else None


def worst(rows: Sequence[dict[str, Any]], n: int = 10) -> list[dict[str, Any]]:
    """The answerable questions scored worst (nDCG@10, then Recall@10)."""
    scored = [r for r in rows if "ndcg@10" in r]
    return sorted(scored, key=lambda r: (r["ndcg@10"], r["recall@10"]))[:n]


def format_table(label: str, summary: dict[str, Any]) -> str:
    """A plain-text table of a summary: overall and each kind."""
    head = f"{label:<22}{'n':>4}  hit@1  hit@5  rec@5 rec@10 mrr@10 ndcg@10"
    lines = [head, "-" * len(head)]
    for name, m in [("overall", summary["overall"] | {"n": summary["n"]})] + list(
        summary["by_kind"].items()
    ):
        lines.append(
            f"  {name:<20}{m['n']:>4}  "
            + "  ".join(
                f"{m[k]:.3f}"
                for k in ("hit@1", "hit@5", "recall@5", "recall@10", "mrr@10", "ndcg@10")
            )
        )
    extra = [
        f"latency p50 {summary['latency_ms']['p50']} ms, p95 {summary['latency_ms']['p95']} ms"
    ]
    if summary.get("list_council_recall") is not None:
        extra.append(
            f"list councils: recall {summary['list_council_recall']:.3f}, "
            f"precision {summary['list_council_precision']:.3f}"
        )
    extra.append(f"{summary['tokens_per_passage']} tokens/passage")
    if summary.get("abstain_unanswerable") is not None:
        extra.append(
            f"abstained: {summary['abstain_unanswerable']:.0%} of unanswerable, "
            f"{summary['abstain_answerable']:.0%} of answerable"
        )
    return "\n".join(lines + ["  " + "; ".join(extra)])


def run_eval(
    settings: Settings,
    questions_path: str,
    top_k: int = 10,
    mode: str = "hybrid",
    baseline: str | None = None,
    split: str = "all",
    out_dir: str = "eval/results",
) -> int:
    """The `councilqa eval` command: print tables, write eval/results/<timestamp>.json."""
    from ..service import open_service
    from .baseline import naive_searcher

    service = open_service(settings)
    questions = load_questions(Path(questions_path), service.catalog.text)
    if split != "all":
        questions = [q for q in questions if q.split == split]
    modes = list(MODES) if mode == "all" else [mode]
    runs = {m: evaluate(service.searcher, questions, m, top_k, service.answerer) for m in modes}
    if baseline == "naive":
        naive = naive_searcher(service.catalog, service.searcher.embedder, service.searcher.params)
        runs["naive-hybrid"] = evaluate(naive, questions, "hybrid", top_k)
    result: dict[str, Any] = {
        "settings": settings.model_dump(mode="json", exclude={"llm_api_key", "admin_token"}),
        "manifest": service.manifest,
        "questions": questions_path,
        "split": split,
        "top_k": top_k,
        "runs": {name: _report(name, rows) for name, rows in runs.items()},
    }
    _print_worst(modes[0], runs[modes[0]])
    print(f"\nwrote {_write_result(Path(out_dir), result)}")
    return 0


def _report(name: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Summarise one run overall and by split, and print its table."""
    summary = summarise(rows)
    splits = {s: summarise([r for r in rows if r["split"] == s]) for s in ("dev", "test")}
    print(format_table(name, summary))
    for split, s in splits.items():
        if s["n"]:
            print(f"  {split}: {_split_line(s)}")
    print()
    return {"summary": summary, "by_split": splits, "rows": rows}


def _split_line(s: dict[str, Any]) -> str:
    """One split's headline figures, with its abstention when the run has answers."""
    o = s["overall"]
    line = (
        f"hit@5 {o['hit@5']:.3f}, recall@10 {o['recall@10']:.3f}, mrr@10 {o['mrr@10']:.3f}, "
        f"ndcg@10 {o['ndcg@10']:.3f} (n={s['n']})"
    )
    if s.get("abstain_unanswerable") is not None:
        line += (
            f"; abstained: {s['abstain_unanswerable']:.0%} of unanswerable, "
            f"{s['abstain_answerable']:.0%} of answerable"
        )
    return line


def _print_worst(mode: str, rows: list[dict[str, Any]]) -> None:
    print(f"ten worst questions ({mode}):")
    for r in worst(rows):
        print(f"  {r['id']:<8} ndcg {r['ndcg@10']:.2f} {r['question'][:70]}")
        print(f"           got: {' | '.join(x[:45] for x in r['returned'])}")


def _write_result(out: Path, result: dict[str, Any]) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return path
