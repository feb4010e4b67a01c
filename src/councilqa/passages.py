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
from .sources import page_range
from .text import sentence_spans, tokenize

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
def _terms(query: str) -> frozenset[str]:
    return frozenset(tokenize(query))


@lru_cache(maxsize=2048)  # about 9 KB each: 20 MB at most
def _sentences(window: str) -> tuple[tuple[int, int, frozenset[str]], ...]:
    """The sentences of `window` (offsets into it) with their terms. Remembered, keyed by
    the text itself (so never stale): what a passage's sentences hold does not depend on
    the query, the same passages come back query after query, and splitting and
    tokenizing them was a third of a search's time after the embedding."""
    return tuple((s, e, frozenset(tokenize(window[s:e]))) for s, e in sentence_spans(window))


def highlights(text: str, start: int, end: int, chunk: Chunk, query: str) -> tuple[Span, ...]:
    """Sentences of text[start:end] that matched: those of the scoring chunk that share a
    term with the query, and any other sharing two or more (one, for one-term queries)."""
    terms = _terms(query)
    if not terms:
        return ()
    elsewhere = min(2, len(terms))
    lo, hi = chunk.start - start, chunk.end - start  # the chunk, in the window's offsets
    found = []
    for s, e, held in _sentences(text[start:end]):
        if terms.isdisjoint(held):
            continue  # most sentences: no new set built for them
        if (s < hi and e > lo) or len(terms & held) >= elsewhere:
            found.append(Span(start + s, start + e))
    return tuple(found)


def make_passage(
    text: str, item: Initiative, chunk: Chunk, cap: int, query: str,
    page_starts: tuple[int, ...] = (),
) -> Passage:  # fmt: skip
    """The passage shown for `item`, ranked by `chunk`, with its highlights and its pages
    (where each page starts in `text`; none for unpaged reports)."""
    start, end = passage_span(text, item, chunk, cap)
    marks = highlights(text, start, end, chunk, query)
    pages = page_range(page_starts, start, end) if page_starts else None
    return Passage(item.source, start, end, text[start:end], marks, pages)
