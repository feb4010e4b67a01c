"""How the reports' markdown-ish markup reads as plain text, in one place: the CLI's
passages and an answer's quoted sentences use these rules, the web page (static/app.js)
the same ones.

"### heading" marks and bold marks ("**", "__") are not shown, lines that are only a page
number ("82") are left out, and whitespace folds to single spaces. The API's `text` stays
the exact source span; only what a person reads is rendered.
"""

from __future__ import annotations

import re
from collections.abc import Callable

_PAGE_NUMBER = re.compile(r"^\s*\d{1,4}\s*$", re.M)
_HEADING = re.compile(r"^\s*#{1,6}\s+", re.M)
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__", re.S)


def plain(text: str, bold: Callable[[str], str] | None = None) -> str:
    """`text` for reading: page-number lines dropped, heading and bold marks removed
    (bold text passed through `bold`, e.g. to draw it on a terminal, when given), stray
    "**" dropped, whitespace folded to single spaces."""
    draw = bold or str
    text = _HEADING.sub("", _PAGE_NUMBER.sub("", text))
    text = _BOLD.sub(lambda m: draw(m[1] if m[1] is not None else m[2]), text)
    return " ".join(text.replace("**", "").split())
