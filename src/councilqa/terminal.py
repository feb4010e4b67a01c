"""How the CLI shows passages in a terminal: the reports' markdown-ish markup rendered.

The same rules as the web page (static/app.js): "### heading" marks and "**" bold marks are
not shown (bold is drawn with ANSI codes on a terminal), and lines that are only a page
number ("82") are left out. The API's `text` stays the exact source span; only what a
person reads is rendered.
"""

from __future__ import annotations

import re
import textwrap

from .models import Hit

_PAGE_NUMBER = re.compile(r"^\s*\d{1,4}\s*$", re.M)
_HEADING = re.compile(r"^\s*#{1,6}\s+", re.M)
_BOLD = re.compile(r"\*\*(.+?)\*\*", re.S)
BOLD_ON, BOLD_OFF = "\033[1m", "\033[0m"


def render(text: str, ansi: bool = False) -> str:
    """Passage text for reading: page-number lines dropped, heading and bold marks
    removed (bold drawn with ANSI codes when `ansi`), whitespace folded to single spaces."""
    text = _HEADING.sub("", _PAGE_NUMBER.sub("", text))
    text = _BOLD.sub(lambda m: f"{BOLD_ON}{m[1]}{BOLD_OFF}" if ansi else m[1], text)
    return " ".join(text.replace("**", "").split())


def page_label(pages: tuple[int, int] | None) -> str:
    """ "p. 14" or "pp. 14-15" for a cited span; empty for unpaged reports."""
    if not pages:
        return ""
    return f"p. {pages[0]}" if pages[0] == pages[1] else f"pp. {pages[0]}-{pages[1]}"


def format_hit(hit: Hit, n: int, ansi: bool = False) -> str:
    """A numbered passage as the CLI prints it: councils and title, where it is cited
    (source, pages, offsets), section and score, then the rendered text."""
    item, passage = hit.initiative, hit.passage
    councils = ", ".join(item.councils) or "(council not named)"
    where = " ".join(filter(None, [passage.source, page_label(passage.pages)]))
    body = textwrap.indent(textwrap.fill(render(passage.text, ansi), 96), "    ")
    return (
        f"[{n}] {councils} — {item.title}\n"
        f"    {where} [{passage.start}:{passage.end}]  "
        f"section: {item.section or '-'}  score {hit.score:.4f}\n{body}\n"
    )
