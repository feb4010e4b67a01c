"""Splitting initiatives into token-counted chunks that the embedding model reads whole.

Chunks are windows of whole sentences (a sentence longer than a window is split at word
boundaries), counted with tiktoken. Each chunk keeps exact offsets into its source, so
the cited text is the report's own; only `indexed_text` carries a short header (title,
councils, section) that helps both retrievers match entries that never repeat their
council or subject in the body.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from .models import Chunk, Initiative
from .text import TokenCounter, sentence_spans

HEADER_TOKENS = 40  # a header never takes more than this many tokens of a window


def _word_pieces(text: str, span: tuple[int, int], max_tokens: int, count: TokenCounter):
    """Split one over-long sentence into word-boundary pieces of at most max_tokens."""
    pieces, start = [], span[0]
    words = [m.span() for m in re.finditer(r"\S+", text[span[0] : span[1]])]
    piece_start = None
    for ws, we in words:
        ws, we = ws + span[0], we + span[0]
        if piece_start is None:
            piece_start = ws
        if count(text[piece_start:we]) > max_tokens and we > ws and start < ws:
            pieces.append((piece_start, start))
            piece_start = ws
        start = we
    if piece_start is not None:
        pieces.append((piece_start, start))
    return pieces


def windows(text: str, start: int, end: int, max_tokens: int, overlap: int, count: TokenCounter):
    """Pack sentences of text[start:end] into windows of at most max_tokens tokens, each
    starting with up to `overlap` tokens of the previous window's last sentences."""
    units: list[tuple[int, int]] = []
    for span in sentence_spans(text, start, end):
        if count(text[span[0] : span[1]]) > max_tokens:
            units += _word_pieces(text, span, max_tokens, count)
        else:
            units.append(span)
    result: list[tuple[int, int]] = []
    i = 0
    while i < len(units):
        j = i + 1
        while j < len(units) and count(text[units[i][0] : units[j][1]]) <= max_tokens:
            j += 1
        result.append((units[i][0], units[j - 1][1]))
        if j >= len(units):
            break
        back = j
        while back - 1 > i and count(text[units[back - 1][0] : units[j - 1][1]]) <= overlap:
            back -= 1
        i = back
    return result


def header(initiative: Initiative, count: TokenCounter) -> str:
    """The line put before a chunk's text for indexing: title, councils and section."""
    parts = [initiative.title, ", ".join(initiative.councils), initiative.section]
    line = " | ".join(p for p in parts if p)
    while count(line) > HEADER_TOKENS:
        line = line[: int(len(line) * 0.9)].rstrip()
    return line


def chunk_initiative(
    initiative: Initiative,
    source_text: str,
    count: TokenCounter,
    max_tokens: int,
    overlap: int,
    with_header: bool = True,
    fits: Callable[[str], bool] | None = None,
) -> list[Chunk]:
    """Split one initiative's spans into chunks; header + text fit in max_tokens.

    `fits` says whether the embedding model reads a text whole; an initiative whose
    chunks do not all fit is chunked again with smaller windows, so no word is dropped.
    """
    size = max_tokens
    while True:
        parts = _windows_of(
            initiative, source_text, count, size, min(overlap, size // 4), with_header
        )
        if fits is None or size <= 48 or all(fits(c.indexed_text) for c in parts):
            return parts
        size = int(size * 0.85)


def _windows_of(
    initiative: Initiative,
    source_text: str,
    count: TokenCounter,
    max_tokens: int,
    overlap: int,
    with_header: bool,
) -> list[Chunk]:
    head = header(initiative, count) if with_header else ""
    budget = max_tokens - (count(head) + 1 if head else 0)
    chunks = []
    for span in initiative.spans:
        for s, e in windows(source_text, span.start, span.end, budget, overlap, count):
            text = source_text[s:e]
            key = f"{initiative.id}:{s}:{e}".encode()
            chunk_id = hashlib.sha1(key).hexdigest()[:16]
            indexed = f"{head}\n{text}" if head else text
            chunks.append(Chunk(chunk_id, initiative.id, initiative.source, s, e, text, indexed))
    return chunks
