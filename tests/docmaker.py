"""Real report files made from a report's markdown-ish text, for tests of the extractors.

`make_pdf` lays the text out itself (fpdf2 wraps each paragraph, this module places the
lines) so that it knows the page every block starts on, breaks paragraphs mid-sentence
across pages and columns, and prints a running header and a page-number footer.
`make_html` wraps the body in navigation, a site header and a footer; `make_docx` uses
Word's heading styles. Only what the extractors look at is modelled: no images beside the
one a scanned page needs, no tables, no lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import MethodReturnValue

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
HEADING_SIZES = {1: 20.0, 2: 16.0, 3: 13.0}  # level 4 and below: bold at body size
BODY_SIZE = 10.0
LEADING = 1.3  # line pitch as a multiple of the font size
PARAGRAPH_GAP = 8.0  # points between blocks
MARGIN, GUTTER = 56.0, 24.0
_ASCII = str.maketrans({"’": "'", "‘": "'", "“": '"', "”": '"', "–": "-", "—": "-", "€": "EUR"})


@dataclass(frozen=True)
class Block:
    """One heading (level 1-6) or paragraph (level 0) of the source text."""

    level: int
    text: str


@dataclass(frozen=True)
class Placed:
    """A block and the 1-based page its first line was printed on."""

    level: int
    text: str
    page: int


def unicode_font() -> bool:
    """True when the DejaVu fonts are installed, so PDFs can carry ’ “ – € as they are."""
    return (FONT_DIR / "DejaVuSans.ttf").exists() and (FONT_DIR / "DejaVuSans-Bold.ttf").exists()


def pdf_text(text: str) -> str:
    """The text as `make_pdf` prints it: unchanged with a Unicode font, else cp1252-safe."""
    return text if unicode_font() else text.translate(_ASCII)


def blocks(text: str) -> list[Block]:
    """Blank-line separated blocks, with heading marks and `**` emphasis taken off."""
    result = []
    for raw in re.split(r"\n\s*\n", text):
        raw = raw.strip()
        if not raw:
            continue
        m = re.match(r"(#{1,6})\s+", raw)
        level = len(m[1]) if m else 0
        body = raw[m.end() :] if m else raw
        result.append(Block(level, "\n".join(" ".join(x.split()) for x in body.splitlines())))
    return [Block(b.level, b.text.replace("**", "")) for b in result if b.text.replace("*", "")]


class _Pdf(FPDF):
    """FPDF that prints a running header and a page-number footer on every page."""

    running_header = ""
    family = "Helvetica"

    def header(self) -> None:
        if self.running_header:
            self.set_font(self.family, "", 8)
            self.set_xy(MARGIN, 28)
            self.cell(self.epw, 10, self.running_header, align="C")

    def footer(self) -> None:
        self.set_font(self.family, "", 8)
        self.set_xy(MARGIN, self.h - 36)
        self.cell(self.epw, 10, f"Page {self.page_no()}", align="C")


def _new_pdf(running_header: str, title: str, author: str) -> _Pdf:
    pdf = _Pdf(unit="pt", format="A4")
    pdf.set_auto_page_break(False)  # this module places every line itself
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    if unicode_font():
        pdf.add_font("DejaVu", "", str(FONT_DIR / "DejaVuSans.ttf"))
        pdf.add_font("DejaVu", "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
        pdf.family = "DejaVu"
    pdf.running_header = running_header
    pdf.set_title(title)
    pdf.set_author(author)
    pdf.set_creator("councilqa docmaker")  # a creator is not an author: extractors skip it
    return pdf


def make_pdf(
    text: str,
    path: Path,
    two_columns: bool = False,
    running_header: str = "Council case studies",
    title: str = "",
    author: str = "",
) -> list[Placed]:
    """Write `text` as an A4 PDF at `path`; return each block with the page it starts on."""
    pdf = _new_pdf(running_header, title, author)
    width = (pdf.epw - GUTTER) / 2 if two_columns else pdf.epw
    top, bottom = MARGIN + 10, pdf.h - MARGIN - 10
    pdf.add_page()
    column, x, y = 0, MARGIN, top - PARAGRAPH_GAP
    placed = []
    for block in blocks(pdf_text(text)):
        size = HEADING_SIZES.get(block.level, BODY_SIZE)
        pdf.set_font(pdf.family, "B" if block.level else "", size)
        lines = []
        for part in block.text.splitlines():
            lines += pdf.multi_cell(width, size, part, dry_run=True, output=MethodReturnValue.LINES)
        y += PARAGRAPH_GAP
        # A heading is kept whole (moved on if it does not fit); a paragraph breaks anywhere.
        keep = len(lines) if block.level else 1
        for i, line in enumerate(lines):
            if y + size * LEADING * (keep if i == 0 else 1) > bottom:  # next column or page
                if two_columns and column == 0:
                    column, x = 1, MARGIN + width + GUTTER
                else:
                    pdf.add_page()
                    column, x = 0, MARGIN
                y = top
            if i == 0:
                placed.append(Placed(block.level, block.text, pdf.page))
            pdf.set_font(pdf.family, "B" if block.level else "", size)
            pdf.set_xy(x, y)
            pdf.cell(width, size * LEADING, line)
            y += size * LEADING
    pdf.output(str(path))
    return placed


def make_html(text: str, path: Path, title: str = "", author: str = "") -> None:
    """Write `text` as a web page: navigation, site header and footer around the article."""
    body = []
    for block in blocks(text):
        tag = f"h{block.level}" if block.level else "p"
        body.append(f"<{tag}>{escape(block.text).replace(chr(10), '<br>')}</{tag}>")
    nav = "".join(f'<li><a href="/{w.lower()}">{w}</a></li>' for w in ("Home", "News", "About"))
    path.write_text(
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)}</title><meta name='author' content='{escape(author)}'>"
        f"</head><body><header><p>Council Network</p><nav><ul>{nav}</ul></nav></header>"
        f"<main><article>{''.join(body)}</article></main>"
        "<footer><p>Copyright Council Network. Privacy policy. Cookies.</p></footer>"
        "</body></html>",
        encoding="utf-8",
    )


def make_docx(text: str, path: Path, title: str = "", author: str = "") -> None:
    """Write `text` as a Word document: `#` lines in Heading styles, `**` runs in bold."""
    import docx

    document = docx.Document()
    document.core_properties.title = title
    document.core_properties.author = author
    for raw in re.split(r"\n\s*\n", text):
        raw = raw.strip()
        m = re.match(r"(#{1,6})\s+", raw)
        if not raw.replace("*", "").strip("# "):
            continue
        body = " ".join(raw[m.end() :].split()) if m else raw
        para = document.add_heading(level=len(m[1])) if m else document.add_paragraph()
        for i, part in enumerate(re.split(r"\*\*", body.replace("\n", " "))):
            if part:
                para.add_run(part).bold = bool(i % 2) or None
    document.save(str(path))
