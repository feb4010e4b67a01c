"""Web-page reports to markdown-ish text, with trafilatura's main-content extraction.

trafilatura finds the article and drops navigation, site headers, footers and cookie
banners; its markdown output writes `<h1>`-`<h6>` as `#` lines and bold as `**`. Metadata
(title, author or else the site's name, date) comes from trafilatura too. Left out:
pages that need JavaScript to show their text, comments, links, images, and fetching
from the web (this reads a saved file).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import SourceError
from . import Extracted, year_in

MIN_WORDS = 25  # as the initiative parser's: fewer words cannot describe a project


def extract(path: Path) -> Extracted:
    """Main text (markdown-ish) and metadata of the saved web page at `path`."""
    import trafilatura

    data = path.read_bytes()
    if not data.strip():
        raise SourceError(f"{path} is empty (0 bytes)")
    # favor_recall: a report page is mostly article; precision would drop short items.
    text = trafilatura.extract(
        data,
        output_format="markdown",
        include_formatting=True,
        favor_recall=True,
        include_comments=False,
        include_tables=True,
    )
    # On a page with no article trafilatura falls back to whatever text there is (a menu);
    # fewer words than one initiative needs is that, not a report.
    if not text or len(text.split()) < MIN_WORDS:
        raise SourceError(f"{path} has no main text to index")
    # extensive=False: dates from <meta> tags only; guessing from the page's text is slow
    # (seconds) and picks up any date the report mentions.
    meta = trafilatura.extract_metadata(trafilatura.load_html(data), extensive=False)
    title = (meta.title or "") if meta else ""
    author = ((meta.author or meta.sitename) or "") if meta else ""
    year = year_in(title) or year_in((meta.date or "") if meta else "")
    return Extracted(_blocks(text), (), title, author, year, "html")


def _blocks(text: str) -> str:
    """One blank line between blocks, so each heading and paragraph stands alone."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
