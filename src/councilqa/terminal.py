"""How the CLI shows passages in a terminal: the reports' markup rendered by
`markup.plain` (the web page's rules), bold drawn with ANSI codes on a terminal.
"""

from __future__ import annotations

import textwrap

from .markup import plain
from .models import Hit

BOLD_ON, BOLD_OFF = "\033[1m", "\033[0m"


def render(text: str, ansi: bool = False) -> str:
    """Passage text for reading (`markup.plain`), bold drawn with ANSI codes when `ansi`."""
    return plain(text, (lambda bold: f"{BOLD_ON}{bold}{BOLD_OFF}") if ansi else None)


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
