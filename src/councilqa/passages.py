"""What a reader is shown of a retrieved initiative: the passage and its highlights.

The result unit is the initiative: a passage is the whole span holding the chunk that
scored when that span is short enough (`cap` characters), otherwise the span's opening
when the chunk lies within the cap, else a cap-long window around the chunk. Passages
start and end on sentence or word boundaries (never mid-word), and `text ==
source_text[start:end]` holds for the passage and for every highlight.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .models import Chunk, Initiative, Passage, Span
from .text import sentence_spans, term_stems, tokenize

_SENTENCE_END = re.compile(r"[.!?][\"'’”)]*\s|\n")


def passage_span(text: str, item: Initiative, chunk: Chunk, cap: int) -> tuple[int, int]:
    """The [start, end) of the passage for `chunk` of `item`, at most `cap` characters
    (a chunk longer than the cap is shown whole)."""
    span = next((s for s in item.spans if s.start <= chunk.start < s.end), item.spans[0])
    if span.end - span.start <= cap:
        return span.start, span.end
    if chunk.end - span.start <= cap:
        return span.start, _end_at_boundary(text, span.start + cap, chunk.end)
    start = max(span.start, min(chunk.start - (cap - (chunk.end - chunk.start)) // 2, chunk.start))
    start = _start_at_boundary(text, start, chunk.start)
    return start, _end_at_boundary(text, min(span.end, start + cap), chunk.end)


def _start_at_boundary(text: str, start: int, limit: int) -> int:
    """Move `start` forward to the start of a sentence, never past `limit`."""
    m = _SENTENCE_END.search(text, start, limit)
    return m.end() if m else limit


def _end_at_boundary(text: str, end: int, limit: int) -> int:
    """Move `end` back to a sentence end (else a word end), never before `limit`."""
    if end <= limit:
        return limit
    stop, line = text.rfind(". ", limit, end), text.rfind("\n", limit, end)
    if max(stop, line) > limit:
        return stop + 1 if stop > line else len(text[:line].rstrip())
    space = text.rfind(" ", limit, end)
    return space if space > limit else end


@lru_cache(maxsize=256)  # the ten passages of a search share one query
def _wanted(query: str) -> tuple[frozenset[str], tuple[str, ...]]:
    """The query's terms, and the stems that find them (`text.term_stems`)."""
    terms = frozenset(tokenize(query))
    return terms, term_stems(terms)


def highlights(text: str, start: int, end: int, chunk: Chunk, query: str) -> tuple[Span, ...]:
    """Sentences of text[start:end] that matched: those of the scoring chunk that share a
    term with the query, and any other sharing two or more (one, for one-term queries)."""
    terms, stems = _wanted(query)
    if not terms:
        return ()
    elsewhere = min(2, len(terms))
    found = []
    for s, e in sentence_spans(text, start, end):
        sentence = text[s:e].lower().replace("’", "'")
        if not any(stem in sentence for stem in stems):
            continue  # most sentences hold no query term: not tokenizing them saves half
        shared = len(terms.intersection(tokenize(sentence)))
        in_chunk = s < chunk.end and e > chunk.start
        if shared >= (1 if in_chunk else elsewhere):
            found.append(Span(s, e))
    return tuple(found)


def make_passage(
    text: str, item: Initiative, chunk: Chunk, cap: int, query: str,
    pages: tuple[int, int] | None = None,
) -> Passage:  # fmt: skip
    """The passage shown for `item`, ranked by `chunk`, with its highlights."""
    start, end = passage_span(text, item, chunk, cap)
    marks = highlights(text, start, end, chunk, query)
    return Passage(item.source, start, end, text[start:end], marks, pages)
