"""The gold set: questions in eval/questions.jsonl with evidence quotes, checked against
the report texts (from the index's catalogue: the text every citation points into)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..errors import CorpusError, CouncilQAError

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


def load_questions(path: Path, text_of: Callable[[str], str]) -> list[Question]:
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
                try:
                    texts[source] = text_of(source)
                except CouncilQAError as exc:
                    raise CorpusError(f"{where}: source {source!r}: {exc}") from exc
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
