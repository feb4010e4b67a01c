"""Plain text and Markdown reports: the file's text as it is (strict UTF-8), no pages."""

from __future__ import annotations

from pathlib import Path

from ..errors import SourceError
from . import Extracted


def extract(path: Path) -> Extracted:
    """The file's decoded text; SourceError when it is not UTF-8 or has no text."""
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path.name} is not valid UTF-8 (byte {exc.start})") from exc
    if not text.strip():
        raise SourceError(f"{path.name} is empty: there is no text to index")
    fmt = "markdown" if path.suffix.lower() == ".md" else "text"
    return Extracted(text=text, format=fmt)
