"""Report files to text: the `Source` seam and the mapping from file type to extractor.

Every extractor turns a file into one `Extracted`: markdown-ish text (headings the file
marks by style or size are written as `#`/`##` lines, so the one initiative parser reads
every format), a page map and the metadata the file carries. That text is what the index
stores and what every citation points into; the original file is kept only to serve it.

`SUFFIXES` is the one list of supported file types. Each extractor is a module with an
`extract(path)` function (a module satisfies `Source`), imported only when a file of its
type comes along, so that reading a text corpus never loads pdfminer or lxml. Left out:
OCR, legacy `.doc`, spreadsheets, and guessing a type from content rather than suffix.
"""

from __future__ import annotations

import bisect
import codecs
import re
from dataclasses import dataclass
from importlib import import_module
from pathlib import Path
from typing import Protocol

from ..errors import SourceError


@dataclass(frozen=True)
class Extracted:
    """A report's text, where each page starts in it, and what the file says about itself."""

    text: str
    page_starts: tuple[int, ...] = ()  # offset in `text` where page i+1 begins; () if unpaged
    title: str = ""
    author: str = ""  # author or publisher, as the file's metadata gives it
    year: int | None = None
    format: str = "text"

    def page_of(self, offset: int) -> int | None:
        """The 1-based page holding character `offset`, or None for unpaged text."""
        return page_of(self.page_starts, offset)


def page_of(page_starts: tuple[int, ...] | list[int], offset: int) -> int | None:
    """The 1-based page whose range holds `offset`, given each page's start offset."""
    if not page_starts:
        return None
    return max(1, bisect.bisect_right(page_starts, offset))


def page_range(
    page_starts: tuple[int, ...] | list[int], start: int, end: int
) -> tuple[int, int] | None:
    """First and last page of the span [start, end), or None for unpaged text."""
    first, last = page_of(page_starts, start), page_of(page_starts, max(start, end - 1))
    return (first, last) if first and last else None


class Source(Protocol):
    """Anything that turns a report file into an `Extracted`; raises SourceError naming
    the file and the reason when it cannot (encrypted, empty, no text layer, corrupt…)."""

    def extract(self, path: Path) -> Extracted:
        """Extract the text, page map and metadata of the file at `path`."""
        ...


# suffix -> the module of this package that extracts it
SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".md": "text",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
}


def extract(path: Path) -> Extracted:
    """Extract a report file with the extractor its suffix names."""
    name = SUFFIXES.get(path.suffix.lower())
    if name is None:
        supported = ", ".join(sorted(SUFFIXES))
        raise SourceError(
            f"{path} has an unsupported type {path.suffix or '(none)'!r}: supported are {supported}"
        )
    if not path.is_file():
        raise SourceError(f"{path} does not exist or is not a file")
    source: Source = import_module(f".{name}", __name__)
    return source.extract(path)


_YEAR = re.compile(r"(?<!\d)(?:19[5-9]\d|20\d\d)(?!\d)")


def year_in(text: str) -> int | None:
    """The first plausible publication year (1950-2099) written in `text`, if any."""
    m = _YEAR.search(text)
    return int(m.group()) if m else None


_SIGNATURES = (
    (b"%PDF-", "a PDF"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.doc/.xls)"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"{\\rtf", "an RTF document"),
)


def sniff(data: bytes) -> str:
    """What a file's first bytes say it is, in words ("HTML", "a ZIP archive"…)."""
    head = data[:1024]
    for magic, kind in _SIGNATURES:
        if head.startswith(magic):
            return kind
    lowered = head.lstrip().lower()
    if lowered.startswith((b"<!doctype html", b"<html", b"<head", b"<body")):
        return "HTML"
    if lowered.startswith(b"<?xml") or lowered.startswith(b"<"):
        return "XML or HTML"
    if not head:
        return "an empty file"
    try:  # incremental: the 1024-byte cut may split a character
        codecs.getincrementaldecoder("utf-8")().decode(head)
    except UnicodeDecodeError:
        return "binary data of an unknown type"
    return "plain text"
