"""Answers from retrieved passages: extractive by default, generated when an LLM is set.

Every `[n]` in an answer refers to passage n (1-based) of the passages returned with it.
Generated answers have their citations parsed and checked here: a number that does not
name a passage sent to the model is removed and reported. When the evidence is too weak
the answer abstains ("the reports don't say") and still returns the passages.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import replace
from importlib import resources

from .errors import LLMError
from .llm import LLM, Message
from .markup import plain
from .models import Answer, Citation, CouncilEntry, Hit
from .support import AbstainModel, is_list_question, list_score, on_topic, question_features
from .text import TokenCounter, sentence_spans, token_counter, tokenize

Event = tuple[str, object]  # ("passages", hits) | ("delta", text) | ("done", Answer)

_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
ABSTAIN_TEXT = "The reports do not say."


def load_prompt(name: str) -> str:
    """A prompt file shipped in the package (src/councilqa/prompts/)."""
    return (resources.files("councilqa") / "prompts" / f"{name}.txt").read_text(encoding="utf-8")


def should_abstain(
    query: str, hits: Sequence[Hit], min_dense: float, model: AbstainModel | None = None
) -> tuple[bool, str]:
    """Abstain when nothing was found, when the best passage is semantically far from the
    question (its cosine below `min_dense`), or when the abstention model (support.py,
    fitted on the eval's dev split) gives the top 10 passages a low chance of answering."""
    if not hits:
        return True, "no passage matched the question"
    best = max((float(d) for h in hits if (d := h.scores.get("dense")) is not None), default=None)
    if best is not None and best < min_dense:
        return True, (
            f"the closest passage is a weak match (cosine {best:.2f} < {min_dense:.2f}); "
            "the reports may not cover this"
        )
    if model is not None and _hybrid(hits):
        p = model.p_answerable(question_features(query, [h.scores for h in hits[:10]]))
        if p < model.threshold:
            return True, (
                f"the passages hold few of the question's distinctive words (support "
                f"{p:.2f} < {model.threshold:.2f}); the reports may not cover this"
            )
    return False, ""


def _hybrid(hits: Sequence[Hit]) -> bool:
    """Whether the hits carry the signals the abstention model was fitted on (hybrid)."""
    return (
        "coverage" in hits[0].scores
        and any(h.scores.get("bm25_rank") for h in hits)
        and any(h.scores.get("dense_rank") for h in hits)
    )


def citations_for(hits: Sequence[Hit], numbers: Sequence[int]) -> tuple[Citation, ...]:
    """Citation objects for passage numbers (1-based), in order, without repeats."""
    seen: list[int] = []
    for n in numbers:
        if 1 <= n <= len(hits) and n not in seen:
            seen.append(n)
    return tuple(
        Citation(
            n,
            hits[n - 1].initiative.id,
            hits[n - 1].passage.source,
            hits[n - 1].passage.start,
            hits[n - 1].passage.end,
        )
        for n in seen
    )


def check_citations(text: str, sent: int) -> tuple[str, list[int], list[int]]:
    """Keep [n] markers with 1 <= n <= sent; remove the rest. Returns (text, kept, removed)."""
    kept: list[int] = []
    removed: list[int] = []

    def fix(match: re.Match[str]) -> str:
        good: list[int] = []
        for part in match.group(1).split(","):
            n = int(part)
            (good if 1 <= n <= sent else removed).append(n)
        kept.extend(good)
        return "".join(f"[{n}]" for n in good)

    cleaned = _CITE.sub(fix, text)
    return re.sub(r"[ \t]+([.,;:])", r"\1", cleaned).strip(), kept, removed


MAX_COUNCILS = 4  # an "initiative" naming more councils is a list or a round-up


def council_groups(hits: Sequence[Hit], query: str = "") -> tuple[CouncilEntry, ...]:
    """The councils the passages name, each with its initiatives' titles and citations.

    With a query, only passages past the list cut-off (`on_topic`) count, best first
    (`list_score`), and round-ups naming many councils are left out: a council list
    should name who did the thing.
    """
    numbered = list(enumerate(hits, start=1))
    if query:
        numbered = [
            (n, h)
            for n, h in numbered
            if len(h.initiative.councils) <= MAX_COUNCILS and on_topic(h)
        ]
        numbered.sort(key=lambda pair: -list_score(pair[1]))
    groups: dict[str, list[tuple[str, int]]] = {}
    for n, hit in numbered:
        for council in hit.initiative.councils:
            groups.setdefault(council, []).append((hit.initiative.title, n))
    return tuple(CouncilEntry(c, tuple(items)) for c, items in groups.items())


def council_list_text(groups: Sequence[CouncilEntry]) -> str:
    """A readable list: how many councils and initiatives, then one line per council,
    each initiative with its citation."""
    initiatives = len({n for g in groups for _, n in g.initiatives})
    lines = [
        f"The reports name {_plural(len(groups), 'council')} and "
        f"{_plural(initiatives, 'initiative')} for this:"
    ]
    for group in groups:
        items = "; ".join(f"{title} [{n}]" for title, n in group.initiatives)
        lines.append(f"- {group.council}: {items}")
    return "\n".join(lines)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


_HEADING = re.compile(r"^\s*(#{1,6}\s|\*\*[^*]+\*\*\s*$)")


def quotable(sentence: str) -> bool:
    """A sentence worth quoting: five words or more and not a heading line (`### …`, or a
    line that is all bold)."""
    return len(sentence.split()) >= 5 and not _HEADING.match(sentence)


def best_sentences(
    query: str, hits: Sequence[Hit], per_passage: int = 1, passages: int = 3
) -> list[tuple[str, int]]:
    """The quotable sentences of the top passages that share most terms with the question,
    as plain text."""
    terms = set(tokenize(query))
    chosen = []
    for n, hit in enumerate(hits[:passages], start=1):
        text = hit.passage.text
        sentences = [plain(text[s:e]) for s, e in sentence_spans(text) if quotable(text[s:e])]
        scored = sorted(
            ((len(terms & set(tokenize(s))), -i, s) for i, s in enumerate(sentences)), reverse=True
        )
        for overlap, _, sentence in scored[:per_passage]:
            if overlap:
                chosen.append((sentence, n))
    return chosen


def extractive_text(query: str, hits: Sequence[Hit]) -> str:
    """An answer quoting the best-matching sentence of each of the top passages."""
    picked = best_sentences(query, hits)
    if not picked:
        hit = hits[0]
        return f"The closest passage is “{hit.initiative.title}” [1]."
    return " ".join(f"{_who(hits[n - 1])}“{s}” [{n}]" for s, n in picked)


def _who(hit: Hit) -> str:
    councils = ", ".join(hit.initiative.councils)
    return f"{councils}: " if councils else ""


def fit_passages(hits: Sequence[Hit], budget: int, count: TokenCounter) -> list[str]:
    """Numbered passages in rank order while they fit in `budget` tokens; never cut one."""
    blocks, used = [], 0
    for n, hit in enumerate(hits, start=1):
        meta = " | ".join(
            p for p in (", ".join(hit.initiative.councils), hit.initiative.title) if p
        )
        block = f"[{n}] {meta}\n{hit.passage.text}"
        cost = count(block)
        if used + cost > budget:
            break
        blocks.append(block)
        used += cost
    return blocks


class Answerer:
    """Builds answers; holds the optional LLM and the abstention threshold."""

    def __init__(
        self,
        llm: LLM | None,
        min_dense: float,
        context_tokens: int = 3000,
        encoding: str = "cl100k_base",
    ) -> None:
        self.llm = llm
        self.min_dense = min_dense
        self.model = AbstainModel.load()
        self.context_tokens = context_tokens
        self.count = token_counter(encoding)

    def extractive(self, query: str, hits: Sequence[Hit]) -> Answer:
        """The offline answer: a council list for "which councils" questions, else quotes."""
        abstain, reason = should_abstain(query, hits, self.min_dense, self.model)
        groups = council_groups(hits, query)
        if abstain:
            return Answer(ABSTAIN_TEXT, (), tuple(hits), groups, True, reason)
        if is_list_question(query) and groups:
            text = council_list_text(groups)
        else:
            text = extractive_text(query, hits)
        numbers = [int(n) for n in re.findall(r"\[(\d+)\]", text)]
        return Answer(text, citations_for(hits, numbers), tuple(hits), groups)

    def messages(self, query: str, hits: Sequence[Hit]) -> tuple[list[Message], int]:
        """The chat messages for the LLM and how many passages fitted in the budget."""
        template = load_prompt("question")
        budget = self.context_tokens - self.count(template + load_prompt("answer") + query)
        blocks = fit_passages(hits, max(budget, 0), self.count)
        user = template.format(question=query, passages="\n\n".join(blocks))
        return [
            {"role": "system", "content": load_prompt("answer")},
            {"role": "user", "content": user},
        ], len(blocks)

    def answer(self, query: str, hits: Sequence[Hit], generate: bool = False) -> Answer:
        """Answer `query` from `hits`; with generate and an LLM, a cited generated answer."""
        base = self.extractive(query, hits)
        if not generate or base.abstained:
            return base
        if self.llm is None:
            return replace(base, llm_error="no LLM is configured (set COUNCILQA_LLM_BASE_URL)")
        messages, sent = self.messages(query, hits)
        try:
            text = "".join(self.llm.chat(messages))
        except LLMError as exc:
            return replace(base, llm_model=self.llm.model, llm_error=str(exc))
        return self._checked(base, text, sent)

    def _checked(self, base: Answer, text: str, sent: int) -> Answer:
        cleaned, kept, removed = check_citations(text, sent)
        model = self.llm.model if self.llm else None
        if not kept and ABSTAIN_TEXT.rstrip(".").lower() in cleaned.lower():
            return replace(
                base,
                text=ABSTAIN_TEXT,
                citations=(),
                abstained=True,
                llm_model=model,
                reason="the LLM found no answer in the passages",
                removed_citations=tuple(removed),
            )
        if not kept:
            return replace(
                base,
                llm_model=self.llm.model if self.llm else None,
                llm_error="the LLM's answer cited no passage; showing the extractive answer",
            )
        return replace(
            base,
            text=cleaned,
            citations=citations_for(base.hits, kept),
            llm_model=self.llm.model if self.llm else None,
            removed_citations=tuple(removed),
        )

    def stream(self, query: str, hits: Sequence[Hit], generate: bool = False) -> Iterator[Event]:
        """Events as the answer forms: the passages, pieces of text, then the checked Answer."""
        yield "passages", hits
        base = self.extractive(query, hits)
        if not generate or base.abstained or self.llm is None:
            answer = self.answer(query, hits, generate) if generate else base
            yield "delta", answer.text
            yield "done", answer
            return
        messages, sent = self.messages(query, hits)
        pieces: list[str] = []
        try:
            for piece in self.llm.chat(messages, stream=True):
                pieces.append(piece)
                yield "delta", piece
            answer = self._checked(base, "".join(pieces), sent)
        except LLMError as exc:
            answer = replace(base, llm_model=self.llm.model, llm_error=str(exc))
        yield "done", answer
