"""Page geometry to lines in reading order, for the PDF extractor.

Takes pdfplumber's words (text, box, font, size) page by page and returns lines: running
headers, footers and page numbers dropped; two-column pages read down the left column and
then the right, region by region between full-width rows. Knows nothing of headings or
paragraphs (`pdf.py` makes those from the lines' sizes and spacing). Left out: more than
two columns, rotated text, tables.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

Word = dict[str, Any]  # pdfplumber's word: text, x0, x1, top, bottom, size, fontname
_PAGE_NUMBER = re.compile(r"^(page\s*)?\d{1,4}(\s*(of|/)\s*\d{1,4})?$", re.I)
_BOLD = re.compile(r"bold|black|heavy|demi", re.I)


@dataclass(frozen=True)
class Line:
    """One line of text in reading order, with the style of most of its characters."""

    text: str
    top: float
    size: float
    bold: bool
    page: int
    flow_start: bool  # first line of a page, column or region: a paragraph may go on here
    full: bool  # reaches the right edge of its column: the text may run on past it


def _rows(words: list[Word]) -> list[list[Word]]:
    """Words grouped into rows sharing a top edge, each row sorted left to right."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (round(w["top"]), w["x0"])):
        if rows and abs(word["top"] - rows[-1][0]["top"]) <= 0.4 * word["size"]:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w["x0"]) for row in rows]


def _row_text(row: list[Word]) -> str:
    return " ".join(w["text"] for w in row)


def drop_furniture(pages: list[list[Word]]) -> list[list[Word]]:
    """Pages without running headers and footers (rows at a page's top or bottom that recur,
    digits aside, on most pages) or bare page numbers."""
    edges = []
    for words in pages:
        rows = _rows(words)
        edges.append(rows[:2] + rows[2:][-2:])
    shape = [{re.sub(r"\d+", "#", _row_text(r)).lower(): r for r in rows} for rows in edges]
    counts = Counter(key for page in shape for key in page)
    need = max(2, math.ceil(0.5 * len(pages)))
    cleaned = []
    for words, page in zip(pages, shape, strict=True):
        drop = {
            id(w)
            for key, row in page.items()
            if counts[key] >= need or _PAGE_NUMBER.match(_row_text(row))
            for w in row
        }
        cleaned.append([w for w in words if id(w) not in drop])
    return cleaned


def _gutter(words: list[Word]) -> float | None:
    """The x of the gap between two columns, or None when the page has one column.

    Coverage of x is the number of words whose extent holds x, about one per line: across
    a gutter it falls to the few full-width rows, across one column of text it does not.
    """
    if len(words) < 20:
        return None
    width = int(words[0]["page_width"]) + 2
    delta = [0] * (width + 1)
    for w in words:
        delta[max(0, int(w["x0"]))] += 1
        delta[min(width, int(w["x1"]) + 1)] -= 1
    cover, run = [], 0
    for d in delta:
        run += d
        cover.append(run)
    lo, hi = int(width * 0.35), int(width * 0.65)
    x = min(range(lo, hi), key=lambda i: (cover[i], abs(i - width // 2)))
    if cover[x] > 0.2 * max(max(cover[:lo]), max(cover[hi:])):
        return None
    left = sum(1 for w in words if w["x1"] <= x)
    right = sum(1 for w in words if w["x0"] >= x)
    return float(x) if min(left, right) >= 0.2 * len(words) else None


def _is_spanning(row: list[Word], gutter: float) -> bool:
    """A row crosses the gutter when a word covers it or two words sit a space apart over it."""
    if any(w["x0"] < gutter < w["x1"] for w in row):
        return True
    pairs = zip(row, row[1:], strict=False)
    return any(a["x1"] <= gutter <= b["x0"] and b["x0"] - a["x1"] < a["size"] for a, b in pairs)


def page_lines(words: list[Word], page: int) -> list[Line]:
    """The page's lines in reading order: on two-column pages, each region between
    full-width rows is read down the left column, then down the right."""
    gutter = _gutter(words)
    rows = _rows(words)
    if gutter is None:
        return _lines(rows, page, rows)
    lines: list[Line] = []
    left: list[list[Word]] = []
    right: list[list[Word]] = []
    for row in [*rows, []]:  # the empty row flushes the last region
        if row and not _is_spanning(row, gutter):
            left.append([w for w in row if w["x1"] <= gutter])
            right.append([w for w in row if w["x0"] >= gutter])
            continue
        for column in (left, right):
            column = [r for r in column if r]
            lines += _lines(column, page, column)
        left, right = [], []
        if row:
            lines += _lines([row], page, rows)
    return lines


def _lines(rows: list[list[Word]], page: int, region: list[list[Word]]) -> list[Line]:
    """Rows as lines; a line is full when it ends near the right edge of its `region`."""
    if not rows:
        return []
    x0 = min(r[0]["x0"] for r in region if r)
    x1 = max(r[-1]["x1"] for r in region if r)
    return [
        _line(row, page, i == 0, row[-1]["x1"] >= x1 - 0.2 * (x1 - x0))
        for i, row in enumerate(rows)
    ]


def _line(row: list[Word], page: int, flow_start: bool, full: bool) -> Line:
    """A row of words as a line, with the size and boldness most of its letters have."""
    sizes: Counter[float] = Counter()
    bold = 0
    for w in row:
        sizes[round(w["size"] * 2) / 2] += len(w["text"])
        bold += len(w["text"]) if _BOLD.search(w["fontname"]) else 0
    letters = sum(sizes.values())
    size = sizes.most_common(1)[0][0]
    return Line(_row_text(row), row[0]["top"], size, bold == letters, page, flow_start, full)
