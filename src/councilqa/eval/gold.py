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
    questions: list[Question] = []
    texts: dict[str, str] = {}
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        row = _row(line, where)
        if row["id"] in {q.id for q in questions}:
            raise CorpusError(f"{where}: duplicate id {row['id']!r}")
        evidence = tuple(_locate(ev, where, text_of, texts) for ev in row["evidence"])
        questions.append(
            Question(
                row["id"],
                row["question"],
                row["kind"],
                row.get("split", "dev"),
                evidence,
                tuple(row.get("councils", [])),
                row["answer"],
            )
        )
    return questions


def _row(line: str, where: str) -> dict:
    """One line of the gold set as a dict, with a known kind."""
    try:
        row = json.loads(line)
    except ValueError as exc:
        raise CorpusError(f"{where}: not a valid question ({exc})") from exc
    if not isinstance(row, dict):
        raise CorpusError(f"{where}: not a valid question (not a JSON object)")
    missing = [k for k in ("id", "kind", "question", "answer", "evidence") if k not in row]
    if missing:
        raise CorpusError(f"{where}: not a valid question (missing {', '.join(missing)})")
    kind = row["kind"]
    if kind not in KINDS:
        raise CorpusError(f"{where}: unknown kind {kind!r}; valid: {', '.join(KINDS)}")
    return row


def _locate(ev: dict, where: str, text_of: Callable[[str], str], texts: dict[str, str]) -> Evidence:
    """Where a quote stands in its source's text; CorpusError unless found exactly once."""
    source, quote = ev["source"], ev["quote"]
    if source not in texts:
        try:
            texts[source] = text_of(source)
        except CouncilQAError as exc:
            raise CorpusError(f"{where}: source {source!r}: {exc}") from exc
    count = texts[source].count(quote)
    if count != 1 or not 40 <= len(quote) <= 160:
        raise CorpusError(
            f"{where}: quote found {count} times (must be once, 40-160 chars): {quote[:60]!r}"
        )
    start = texts[source].index(quote)
    return Evidence(source, start, start + len(quote))
