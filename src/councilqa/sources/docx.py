"""Word (.docx) reports to markdown-ish text, with python-docx.

Paragraphs styled `Title` or `Heading 1`-`Heading 6` become `#` lines of that level, other
paragraphs blocks of their own with bold runs as `**...**`; a table's rows are written one
per line, cells separated by " | ", where the table stands. Metadata is Word's core
properties (title, author, created). Left out: legacy `.doc`, page numbers (Word lays
pages out only when it renders), headers and footers, footnotes, comments, text boxes.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path
from typing import Any

from ..errors import SourceError
from . import Extracted, sniff, year_in

_HEADING = re.compile(r"^Heading (\d)$")


def extract(path: Path) -> Extracted:
    """Markdown-ish text and core-property metadata of the Word document at `path`."""
    document = _open(path)
    blocks = [b for b in (_block(item) for item in document.iter_inner_content()) if b]
    if not blocks:
        raise SourceError(f"{path} has no text: the document is empty")
    props = document.core_properties
    title = (props.title or "").strip()
    created = props.created.year if props.created else None
    # python-docx's own template names "python-docx" as author: software, not a person
    author = "" if props.author in (None, "python-docx") else props.author.strip()
    return Extracted("\n\n".join(blocks), (), title, author, year_in(title) or created, "docx")


def _open(path: Path) -> Any:
    """The python-docx Document, or a SourceError saying why the file is not one."""
    import docx

    if not zipfile.is_zipfile(path):
        raise SourceError(
            f"{path} is not a DOCX (not a ZIP archive; it looks like "
            f"{sniff(path.read_bytes()[:1024])})"
        )
    with zipfile.ZipFile(path) as archive:
        if "word/document.xml" not in archive.namelist():
            raise SourceError(f"{path} is not a DOCX: a ZIP archive without word/document.xml")
    try:
        return docx.Document(str(path))
    except Exception as exc:  # python-docx and lxml raise several types for a broken part
        raise SourceError(f"{path} is a corrupt DOCX ({type(exc).__name__}: {exc})") from exc


def _block(item: Any) -> str:
    """A paragraph as a `#` line or a text block; a table as ` | `-separated rows."""
    if hasattr(item, "rows"):
        rows = [" | ".join(c.text.strip() for c in row.cells) for row in item.rows]
        return "\n".join(r for r in rows if r.strip(" |"))
    style = item.style.name if item.style is not None else ""
    m = _HEADING.match(style)
    level = 1 if style == "Title" else int(m[1]) if m else 0
    if level:
        return f"{'#' * level} {' '.join(item.text.split())}" if item.text.strip() else ""
    parts = [
        f"**{r.text}**" if getattr(r, "bold", None) and r.text.strip() else r.text
        for r in item.iter_inner_content()  # runs and hyperlinks, in order
    ]
    return "".join(parts).strip().replace("****", "")
