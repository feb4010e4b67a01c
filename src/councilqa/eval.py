"""Retrieval evaluation on the gold questions in eval/questions.jsonl.

Gold is tied to report text, not to chunk ids: a passage hits an evidence item when it
comes from the same file and its span covers at least half of the quote's span. Metrics
follow trec_eval/ranx conventions with binary relevance: Hit@k, Recall@k, MRR@10 and
nDCG@10 (a passage is relevant when it hits an evidence item no earlier passage hit).
Unanswerable questions are scored only for abstention.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Settings
from .councils import place_key
from .errors import CorpusError

KINDS = ("single", "list", "council", "numeric", "paraphrase", "section", "unanswerable")


@dataclass(frozen=True)
class Evidence:
    """A quote of a source file, located as [start, end)."""

    source: str
    start: int
    end: int


@dataclass(frozen=True)
class Question:
    """One gold question."""

    id: str
    question: str
    kind: str
    split: str
    evidence: tuple[Evidence, ...]
    councils: tuple[str, ...]
    answer: str


def load_questions(path: Path, corpus_dir: Path) -> list[Question]:
    """Read and check the gold set: valid JSON, unique ids, known kinds and sources, and
    every quote 40-160 characters long and found exactly once in its source."""
    questions, seen, texts = [], set(), {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(line)
            qid, kind = row["id"], row["kind"]
        except (ValueError, KeyError, TypeError) as exc:
            raise CorpusError(f"{where}: not a valid question ({exc})") from exc
        if qid in seen:
            raise CorpusError(f"{where}: duplicate id {qid!r}")
        if kind not in KINDS:
            raise CorpusError(f"{where}: unknown kind {kind!r}; valid: {', '.join(KINDS)}")
        seen.add(qid)
        evidence = []
        for ev in row["evidence"]:
            source, quote = ev["source"], ev["quote"]
            if source not in texts:
                file = corpus_dir / source
                if not file.is_file():
                    raise CorpusError(f"{where}: source {source!r} is not in {corpus_dir}")
                texts[source] = file.read_text(encoding="utf-8")
            count = texts[source].count(quote)
            if count != 1 or not 40 <= len(quote) <= 160:
                raise CorpusError(
                    f"{where}: quote found {count} times (must be once, 40-160 "
                    f"chars): {quote[:60]!r}"
                )
            start = texts[source].index(quote)
            evidence.append(Evidence(source, start, start + len(quote)))
        questions.append(
            Question(
                qid,
                row["question"],
                kind,
                row.get("split", "dev"),
                tuple(evidence),
                tuple(row.get("councils", [])),
                row["answer"],
            )
        )
    return questions


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


def metrics(marks: Sequence[int], n_evidence: int) -> dict[str, float]:
    """Hit@1, Hit@5, Recall@5, Recall@10, MRR@10, nDCG@10 from judged passages."""
    rel = [1 if m >= 0 else 0 for m in marks[:10]]
    first = next((i for i, r in enumerate(rel) if r), None)
    dcg = sum(r / math.log2(i + 2) for i, r in enumerate(rel))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(n_evidence, 10)))
    return {
        "hit@1": float(bool(rel[:1] and rel[0])),
        "hit@5": float(any(rel[:5])),
        "recall@5": sum(rel[:5]) / n_evidence,
        "recall@10": sum(rel[:10]) / n_evidence,
        "mrr@10": 0.0 if first is None else 1 / (first + 1),
        "ndcg@10": dcg / idcg if idcg else 0.0,
    }


def council_recall(expected: Sequence[str], returned: Sequence[Sequence[str]]) -> float:
    """Share of expected councils (by place) among the returned passages' councils."""
    want = {place_key(c) for c in expected}
    got = {place_key(c) for councils in returned for c in councils}
    return len(want & got) / len(want) if want else 1.0


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)] if ordered else 0.0


def evaluate(
    searcher, questions: Sequence[Question], mode: str, top_k: int = 10, answerer=None
) -> list[dict[str, Any]]:
    """One row per question: judged passages, metrics, latency and abstention."""
    rows = []
    for q in questions:
        started = time.perf_counter()
        hits = searcher.search(q.question, top_k, mode)
        ms = (time.perf_counter() - started) * 1000
        passages = [(h.chunk.source, h.chunk.start, h.chunk.end) for h in hits]
        row: dict[str, Any] = {
            "id": q.id,
            "kind": q.kind,
            "split": q.split,
            "mode": mode,
            "question": q.question,
            "ms": round(ms, 2),
            "returned": [
                f"{', '.join(h.initiative.councils) or '-'}: {h.initiative.title}" for h in hits[:3]
            ],
        }
        if answerer is not None:
            row["abstained"] = answerer.extractive(q.question, hits).abstained
        if q.evidence:
            row |= metrics(judge(passages, q.evidence), len(q.evidence))
            if q.kind == "list":
                row["council_recall"] = council_recall(
                    q.councils, [h.initiative.councils for h in hits]
                )
        rows.append(row)
    return rows


def summarise(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Mean metrics overall and by kind, latency percentiles and abstention shares."""
    names = ["hit@1", "hit@5", "recall@5", "recall@10", "mrr@10", "ndcg@10"]
    scored = [r for r in rows if "recall@10" in r]
    if not scored:
        return {"n": 0}
    out: dict[str, Any] = {"n": len(scored), "overall": _means(scored, names), "by_kind": {}}
    for kind in KINDS[:-1]:
        group = [r for r in scored if r["kind"] == kind]
        if group:
            out["by_kind"][kind] = _means(group, names) | {"n": len(group)}
    lists = [r["council_recall"] for r in scored if "council_recall" in r]
    out["list_council_recall"] = statistics.fmean(lists) if lists else None
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
        extra.append(f"list council recall {summary['list_council_recall']:.3f}")
    if summary.get("abstain_unanswerable") is not None:
        extra.append(
            f"abstained: {summary['abstain_unanswerable']:.0%} of unanswerable, "
            f"{summary['abstain_answerable']:.0%} of answerable"
        )
    return "\n".join(lines + ["  " + "; ".join(extra)])


def run_eval(args: argparse.Namespace, settings: Settings) -> int:
    """The `councilqa eval` command: print tables, write eval/results/<timestamp>.json."""
    from .answer import Answerer
    from .baseline import naive_searcher
    from .retrieval import open_searcher

    questions = load_questions(Path(args.questions), settings.corpus_dir)
    if args.split != "all":
        questions = [q for q in questions if q.split == args.split]
    searcher = open_searcher(
        settings.index_dir,
        settings.model_name,
        settings.embedding_batch_size,
        settings.search_params(),
    )
    answerer = Answerer.from_settings(settings)
    modes = ["hybrid", "dense", "bm25"] if args.mode == "all" else [args.mode]
    runs = {m: evaluate(searcher, questions, m, args.top_k, answerer) for m in modes}
    if args.baseline == "naive":
        naive = naive_searcher(settings.corpus_dir, searcher.embedder, settings.search_params())
        runs["naive-hybrid"] = evaluate(naive, questions, "hybrid", args.top_k)
    result: dict[str, Any] = {
        "settings": settings.model_dump(mode="json", exclude={"llm_api_key"}),
        "manifest": searcher.index.manifest,
        "questions": args.questions,
        "split": args.split,
        "top_k": args.top_k,
        "runs": {},
    }
    for name, rows in runs.items():
        summary = summarise(rows)
        splits = {s: summarise([r for r in rows if r["split"] == s]) for s in ("dev", "test")}
        result["runs"][name] = {"summary": summary, "by_split": splits, "rows": rows}
        print(format_table(name, summary))
        for split, s in splits.items():
            if s["n"]:
                print(
                    f"  {split}: recall@10 {s['overall']['recall@10']:.3f}, "
                    f"mrr@10 {s['overall']['mrr@10']:.3f}, ndcg@10 {s['overall']['ndcg@10']:.3f}"
                    f" (n={s['n']})"
                )
        print()
    first = runs[modes[0]]
    print(f"ten worst questions ({modes[0]}):")
    for r in worst(first):
        print(f"  {r['id']:<8} ndcg {r['ndcg@10']:.2f} {r['question'][:70]}")
        print(f"           got: {' | '.join(x[:45] for x in r['returned'])}")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    print(f"\nwrote {path}")
    return 0
