"""Report files to text: the `Source` seam and the mapping from file type to extractor.

Every extractor turns a file into one `Extracted`: markdown-ish text (headings the file
marks by style or size are written as `#`/`##` lines, so the one initiative parser reads
every format), a page map and the metadata the file carries. That text is what the index
stores and what every citation points into; the original file is kept only to serve it.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
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


class Source(Protocol):
    """Anything that turns a report file into an `Extracted`; raises SourceError naming
    the file and the reason when it cannot (encrypted, empty, no text layer, corrupt…)."""

    def extract(self, path: Path) -> Extracted:
        """Extract the text, page map and metadata of the file at `path`."""
        ...


# suffix -> extractor module: the one list of supported file types.
SUFFIXES = {".txt": "text", ".md": "text"}


def extract(path: Path) -> Extracted:
    """Extract a report file with the extractor its suffix names."""
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise SourceError(
            f"{path.name}: unsupported file type {path.suffix!r}; "
            f"supported: {', '.join(sorted(SUFFIXES))}"
        )
    from importlib import import_module

    module = import_module(f"{__name__}.{kind}")
    return module.extract(path)
