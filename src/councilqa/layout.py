"""The layout of a report: its blocks and what each one is.

A report's text is split into blocks (runs of non-blank lines) with exact offsets, and
each block is classified: heading, section heading (listed on the contents page, all
capitals, a top-level markdown heading or an award category), item number, contact, part
of a contents page, back matter, or body text. Grouping blocks into initiatives is
`ingest`'s job; this module knows nothing of councils' projects, nor of any one report.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .councils import find_councils

FURNITURE = re.compile(
    r"^(foreword|contents|introduction|message from|join us|members|meet us|events|"
    r"executive team|.*executive team \d|about (us|the)|contact|statement of values|"
    r"our values|acknowledg|notes$|references$|.*group office$)",
    re.I,
)
_BLOCK = re.compile(r"(?:[^\n]*\S[^\n]*(?:\n|$))+")


_MARKUP = re.compile(r"[*#_]+|\[|\]\(#\)")


_EMAIL = re.compile(r"\S+@\S+\.\w+")


_PHONE = re.compile(r"\b0\d{2,4}[\s\d]{6,}\d\b")


_CONTACT_START = re.compile(r"^(for (further|more) information|contact:|related articles)", re.I)


_NUMBER = re.compile(r"^\d{1,3}$")


_CONTENTS_LINE = re.compile(r"^(?:-\s*)?(?:\d+\s+)?(.+?)(?:\s*\t\s*\d+)?\s*$")


CATEGORY = re.compile(r"\s[–-]\s*sponsored by\s|\bof the year$", re.I)


_BACK_MATTER = re.compile(
    r"^(thank you to|thanks to all|sign in\b|compiled and edited|published by|designed by|"
    r"printed by|©|copyright\b)",
    re.I,
)


BACK_MATTER_SHARE = 0.2  # back matter is looked for in this last share of a report's blocks


@dataclass
class Block:
    """A run of non-blank lines with its offsets and what it looks like."""

    start: int
    end: int
    raw: str
    kind: str = "body"  # body | heading | section | number | contact | contents | back
    level: int = 0  # markdown heading level, 0 when none

    @property
    def clean(self) -> str:
        """The block's text without markdown emphasis, links or heading marks."""
        return " ".join(_MARKUP.sub("", self.raw).split())


def split_blocks(text: str) -> list[Block]:
    """Runs of non-blank lines, with trailing whitespace trimmed from each span."""
    blocks = []
    for m in _BLOCK.finditer(text):
        raw = m.group().rstrip()
        lead = len(raw) - len(raw.lstrip())
        if raw.strip():
            blocks.append(Block(m.start() + lead, m.start() + len(raw), raw.strip()))
    return blocks


def _is_heading_like(block: Block) -> bool:
    text = block.clean
    if block.level:
        return True
    if "\n" in block.raw.strip():
        return False
    if (len(text) > 130 or len(text.split()) > 16) and len(find_councils(text)) < 2:
        return False  # too long for a heading, unless it lists an entry's councils
    if text[-1] in ".,;:!?" or text.startswith(("-", "•", "(")):
        return False
    return text[0].isupper() or text[0].isdigit() or text[0] in "'\"‘“"


def _is_contact(block: Block) -> bool:
    text = block.clean
    if _CONTACT_START.match(text):
        return True
    short = len(text.split()) <= 30
    return short and bool(_EMAIL.search(text) or _PHONE.search(text) or text.startswith("www."))


def _is_caps(text: str) -> bool:
    letters = [c for c in text if c.isalpha()]
    return len(letters) >= 4 and all(c.isupper() for c in letters)


def _contents_entries(blocks: list[Block]) -> tuple[set[str], set[int]]:
    """Entries of the report's contents page (lower-cased) and the indexes of its blocks.

    The contents page runs from a "Contents" heading to the first real paragraph or
    top-level heading; a contents block with tab-separated page numbers counts too.
    """
    entries: set[str] = set()
    indexes: set[int] = set()
    inside = False
    for i, block in enumerate(blocks):
        text = block.clean
        tabbed = block.raw.count("\t") >= 3 and "\n" in block.raw
        if text.lower() == "contents" or tabbed:
            inside = not tabbed  # a tabbed block holds the whole contents page itself
            indexes.add(i)
            if tabbed:
                entries.update(_entry_lines(block.raw))
            continue
        listed = heading_key(text) in {heading_key(e) for e in entries}
        prose = any(len(line) > 120 for line in block.raw.splitlines())
        if inside and (prose or block.level == 1 or listed):
            inside = False
        if inside:
            indexes.add(i)
            entries.update(_entry_lines(block.raw))
    return {heading_key(e) for e in entries if len(e) > 3 and not e.isdigit()}, indexes


def heading_key(text: str) -> str:
    """Compare headings with contents entries ignoring case, spaces and punctuation."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


_PAGED = re.compile(r"^-?\s*\d+\s+\S|\t\s*\d+\s*$")


def _entry_lines(raw: str) -> list[str]:
    """Entry titles of a contents block; where some lines carry page numbers, only those
    (the others are bylines or continuation lines)."""
    lines = [line for line in raw.splitlines() if line.strip()]
    paged = [line for line in lines if _PAGED.search(_MARKUP.sub("", line))]
    entries = []
    for line in paged or lines:
        m = _CONTENTS_LINE.match(" ".join(_MARKUP.sub("", line).split(" ")))
        if m:
            entries.append(" ".join(m[1].split()).lower())
    return entries


def classify(blocks: list[Block]) -> dict[str, str]:
    """Set each block's kind in place; return contents entries mapped to their display form."""
    entries, contents_idx = _contents_entries(blocks)
    display: dict[str, str] = {}
    in_contact = 0  # blocks still expected under a "For further information contact:" line
    for block in blocks:
        block.level = (
            len(block.raw) - len(block.raw.lstrip("#")) if block.raw.startswith("#") else 0
        )
    # A report that marks its headings up (markdown) marks all of them: its plain short
    # lines are photo captions, pull quotes and the like, read as body text.
    marked_up = sum(1 for b in blocks if b.level) >= 5
    for i, block in enumerate(blocks):
        text = block.clean
        if i in contents_idx:
            block.kind = "contents"
        elif _NUMBER.match(text):
            block.kind = "number"
        elif _is_contact(block):
            block.kind = "contact"
            in_contact = 4 if text.endswith(":") else in_contact
            continue
        elif in_contact and len(text.split()) <= 12 and text[-1:] != "." and block.level != 3:
            block.kind = "contact"  # the name and role lines under "For further information"
            in_contact -= 1
            continue
        elif block.level >= 4 or (block.level and not text[:1].isupper()):
            block.kind = "body"  # a sub-heading inside an item, or a stray line marked up
        elif (marked_up and not block.level) or "://" in text:
            block.kind = "body"
        elif _is_heading_like(block):
            block.kind = "section" if _is_section(block, entries) else "heading"
            if block.kind == "section":
                display.setdefault(heading_key(text), _section_name(text, entries))
        in_contact = 0
    return display


def _is_section(block: Block, entries: set[str]) -> bool:
    text = block.clean
    key = heading_key(text)
    if key in entries or (len(key) >= 10 and any(e.startswith(key) for e in entries)):
        return True  # listed on the contents page, perhaps in a longer form
    if find_councils(text) and len(text.split()) <= 6:
        return False  # a heading that only names a council marks whose item follows
    return (
        False
        or (_is_caps(text) and len(text.split()) >= 2)
        or block.level == 1
        or bool(CATEGORY.search(text))
    )


_SMALL = {"a", "an", "and", "as", "at", "by", "for", "in", "of", "on", "or", "the", "to", "our"}


def _section_name(text: str, entries: set[str]) -> str:
    """Readable section name: all-capitals headings are put in title case."""
    text = re.split(r"\s[–-]\s*sponsored by\s", text, flags=re.I)[0].strip()
    if not _is_caps(text):
        return text
    words = []
    for i, word in enumerate(text.split()):
        lower = word.lower()
        if not any(v in lower for v in "aeiouy"):
            words.append(word)  # acronyms such as NHS keep their capitals
        elif i and lower in _SMALL:
            words.append(lower)
        else:
            words.append(word.capitalize())
    return " ".join(words)


def mark_back_matter(blocks: list[Block]) -> None:
    """Mark the report's back matter (notes, thanks, publisher, sign-in links) as "back":
    from the first block in its last pages that opens with such words or is such a heading."""
    for block in blocks[int(len(blocks) * (1 - BACK_MATTER_SHARE)) :]:
        text = block.clean
        heading = block.kind in {"heading", "section"} and bool(FURNITURE.search(text))
        if heading or _BACK_MATTER.match(text):
            for later in blocks[blocks.index(block) :]:
                later.kind = "back"
            return
