"""PDF reports to markdown-ish text with pdfplumber, which gives every word its font and size.

What it recovers: headings (lines clearly larger than the body size, or bold short lines),
reading order on two-column pages (left column, then right, between full-width rows),
paragraphs (from the gap between lines), paragraphs cut by a column or page break (joined
again), running headers, footers and page numbers (dropped), words hyphenated at a line
end (joined only when the document itself spells them unhyphenated), and a page map.
Left out: OCR of scanned pages, tables as tables, more than two columns, footnotes,
text in images, right-to-left scripts.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import SourceError
from . import Extracted, sniff, year_in
from .pdf_layout import Line, Word, drop_furniture, page_lines

_JUNK_TITLE = re.compile(r"^(microsoft \w+ - |untitled)|\.(docx?|pdf|indd|qxd)$", re.I)
_TERMINAL = tuple('.!?:"”')
HEADING_RATIO = 1.15  # "clearly above the body size"
MAX_HEADING_WORDS = 25  # a larger-type block longer than this is a pull quote, not a heading


@dataclass(frozen=True)
class Block:
    """A heading (level >= 1) or paragraph (level 0) and the page it starts on."""

    text: str
    level: int
    page: int
    flow_start: bool
    ends_full: bool  # its last line is full width: cut there by a break, it may go on


def extract(path: Path) -> Extracted:
    """Markdown-ish text, page map and metadata of the PDF at `path`."""
    _check_bytes(path, path.read_bytes())
    pages, meta = _read_words(path)
    if not any(pages):
        raise SourceError(
            f"{path} has no text layer (a scanned document?): OCR is not supported yet"
        )
    pages = drop_furniture(pages)
    lines = [line for i, words in enumerate(pages) for line in page_lines(words, i + 1)]
    text, starts = _assemble(_blocks(lines), len(pages))
    title = str(meta.get("Title") or "").strip()
    if not title or _JUNK_TITLE.search(title):
        title = next((ln[2:] for ln in text.splitlines() if ln.startswith("# ")), "")
    created = str(meta.get("CreationDate") or "")
    year = year_in(title) or (year_in(created[2:6]) if created.startswith("D:") else None)
    author = str(meta.get("Author") or "").strip()  # never Producer or Creator: software
    return Extracted(text, tuple(starts), title, author, year, "pdf")


def _check_bytes(path: Path, data: bytes) -> None:
    """Refuse what is plainly not a whole PDF before pdfminer guesses at it."""
    if not data:
        raise SourceError(f"{path} is empty (0 bytes)")
    if b"%PDF-" not in data[:1024]:
        raise SourceError(f"{path} is not a PDF (it looks like {sniff(data)})")
    # pdfminer recovers what it can from a cut-off file; indexing half a report silently
    # would be worse than refusing it.
    if b"%%EOF" not in data[-2048:]:
        raise SourceError(f"{path} is truncated or corrupt: it has no end-of-file marker")


def _read_words(path: Path) -> tuple[list[list[Word]], dict[str, Any]]:
    """Each page's words with their font and size (width kept on each word), and metadata."""
    import pdfplumber

    try:
        with pdfplumber.open(path) as pdf:
            if not pdf.pages:
                raise SourceError(f"{path} is empty: it has no pages")
            pages = []
            for page in pdf.pages:
                words = page.extract_words(extra_attrs=["size", "fontname"])
                pages.append([{**w, "page_width": float(page.width)} for w in words])
            return pages, dict(pdf.metadata)
    except SourceError:
        raise
    except Exception as exc:  # pdfminer raises many unrelated types for one broken file
        cause = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
        if type(cause).__name__ in {"PDFPasswordIncorrect", "PDFEncryptionError"}:
            raise SourceError(f"{path} is encrypted: it needs a password to open") from exc
        reason = f"{type(cause).__name__}: {cause}"
        raise SourceError(f"{path} is corrupt and cannot be read as a PDF ({reason})") from exc


def _blocks(lines: list[Line]) -> list[Block]:
    """Lines gathered into paragraphs and headings, headings given levels by size rank."""
    if not lines:
        return []
    body = Counter({ln.size: 0 for ln in lines})
    for ln in lines:
        body[ln.size] += len(ln.text)
    body_size = body.most_common(1)[0][0]
    pitch = _pitch(lines, body_size)
    groups: list[list[Line]] = []
    for prev, ln in zip([None, *lines], lines, strict=False):
        same = prev and (prev.size, prev.bold) == (ln.size, ln.bold) and not ln.flow_start
        if same and prev and ln.top - prev.top <= (pitch + 0.3) * ln.size:
            groups[-1].append(ln)
        else:
            groups.append([ln])
    vocabulary = {w.lower().strip(".,;:()") for ln in lines for w in ln.text.split()}
    kinds = [_kind(g, body_size) for g in groups]
    levels = _levels({size for size in kinds if size > 0})
    return [
        Block(
            _join(g, vocabulary),
            levels.get(k, 4 if k < 0 else 0),
            g[0].page,
            g[0].flow_start,
            g[-1].full,
        )
        for g, k in zip(groups, kinds, strict=True)
    ]


def _pitch(lines: list[Line], body_size: float) -> float:
    """The usual distance between body lines, as a multiple of the body size."""
    ratios: Counter[float] = Counter()
    for a, b in zip(lines, lines[1:], strict=False):
        if a.size == b.size == body_size and not b.flow_start:
            ratio = round((b.top - a.top) / body_size, 1)
            if 1.0 <= ratio <= 2.0:
                ratios[ratio] += 1
    return ratios.most_common(1)[0][0] if ratios else 1.2


def _kind(group: list[Line], body_size: float) -> float:
    """The heading size of a group; -1 for a bold run-in heading; 0 for body text."""
    words = sum(len(ln.text.split()) for ln in group)
    if group[0].size >= HEADING_RATIO * body_size and words <= MAX_HEADING_WORDS:
        return group[0].size
    last = group[-1].text
    if group[0].bold and abs(group[0].size - body_size) <= 0.5 and words <= 15:
        return -1 if last[-1:] != "." else 0
    return 0


def _levels(sizes: set[float]) -> dict[float, int]:
    """Heading levels by size rank: the largest is `#`, the smallest `###`, any between `##`.

    Pinning the smallest to `###` keeps an item heading an item heading when a document
    has no middle level; bold body-size headings are `####` (a run-in sub-heading).
    """
    ranked = sorted(sizes, reverse=True)
    return {
        size: 1 if i == 0 else 3 if i == len(ranked) - 1 else 2 for i, size in enumerate(ranked)
    }


def _join(group: list[Line], vocabulary: set[str]) -> str:
    """A group's lines as one line, words hyphenated at a line end joined when obvious."""
    text = group[0].text
    for ln in group[1:]:
        text = _glue(text, ln.text, vocabulary)
    return text


def _glue(left: str, right: str, vocabulary: set[str]) -> str:
    """`left` and `right` joined by a space, or across a hyphen the document confirms."""
    if len(left) > 1 and left[-1] == "-" and left[-2].isalpha() and right[:1].islower():
        head = left.rsplit(None, 1)[-1][:-1].lower()
        tail = right.split(None, 1)[0].lower().strip(".,;:()")
        if head + tail in vocabulary and f"{head}-{tail}" not in vocabulary:
            return left[:-1] + right  # "compa-" + "ny": the document writes "company"
        return left + right  # "energy-" + "efficiency": keep the compound's hyphen
    return f"{left} {right}"


def _assemble(blocks: list[Block], n_pages: int) -> tuple[str, list[int]]:
    """Blocks as markdown-ish text, and the offset where each page's text begins."""
    text, starts = "", list[int]()
    prev: Block | None = None
    for block in blocks:
        piece = f"{'#' * block.level} {block.text}" if block.level else block.text
        cut = prev is not None and block.flow_start and prev.level == block.level == 0
        open_end = prev and prev.ends_full and not prev.text.endswith(_TERMINAL)
        if cut and (open_end or block.text[:1].islower()):
            joined = _glue(text, piece, set())  # a paragraph cut by a page or column break
            offset = len(joined) - len(piece)
            text = joined
        else:
            text += "\n\n" if text else ""
            offset = len(text)
            text += piece
        starts += [offset] * (block.page - len(starts))
        prev = block
    starts += [len(text)] * (n_pages - len(starts))
    return text, starts
