"""Parsing reports into initiatives: one council's (or partnership's) project each.

The rules are general, written for reports extracted from PDFs and web pages:
- a report is a sequence of blocks (runs of non-blank lines) with exact offsets;
- a block is a heading, an item number, a contact, part of a contents page or body text;
- a section is a heading listed on the report's contents page, an all-capitals heading,
  a top-level markdown heading, or an award category ("... – sponsored by ..."); a boxed
  panel (a section of one lead line and a list) does not change the section of what follows,
  and an award category ends where its alphabetical list of entrants starts again;
- an initiative starts at a heading or number after body text, or at a body paragraph whose
  first sentences name a council the current one does not (entries with no heading line,
  items giving several councils' examples); a paragraph that opens in lower case continues
  the unfinished one before, even across an interrupting heading or box;
- contact blocks and bylines stay in their initiative's spans (and in `contact`);
- front matter (contents, forewords, messages, member lists), back matter (the last pages:
  notes, thanks, publisher details, a web page's sign-in links) and blocks too short to
  describe a project are not initiatives; a repeated entry is one initiative with a span
  at each place it appears.
It deliberately knows nothing of any one report: no line numbers and no per-file tables.

`PARSER_VERSION` is bumped by hand when a rule changes what initiatives come out: the
index records it, so a changed rule (not an edited docstring) makes the index stale.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace

from .councils import find_councils, find_places, place_key
from .models import Initiative, Span

PARSER_VERSION = "3"

_BLOCK = re.compile(r"(?:[^\n]*\S[^\n]*(?:\n|$))+")
_MARKUP = re.compile(r"[*#_]+|\[|\]\(#\)")
_EMAIL = re.compile(r"\S+@\S+\.\w+")
_PHONE = re.compile(r"\b0\d{2,4}[\s\d]{6,}\d\b")
_CONTACT_START = re.compile(r"^(for (further|more) information|contact:|related articles)", re.I)
_NUMBER = re.compile(r"^\d{1,3}$")
_NUMBERED = re.compile(r"^(\d{1,3})\s+(?=[A-Z])")
_CONTENTS_LINE = re.compile(r"^(?:-\s*)?(?:\d+\s+)?(.+?)(?:\s*\t\s*\d+)?\s*$")
_CATEGORY = re.compile(r"\s[–-]\s*sponsored by\s|\bof the year$", re.I)
_FURNITURE = re.compile(
    r"^(foreword|contents|introduction|message from|join us|members|meet us|events|"
    r"executive team|.*executive team \d|about (us|the)|contact|statement of values|"
    r"our values|acknowledg|notes$|references$|.*group office$)",
    re.I,
)
_BACK_MATTER = re.compile(
    r"^(thank you to|thanks to all|sign in\b|compiled and edited|published by|designed by|"
    r"printed by|©|copyright\b)",
    re.I,
)
BACK_MATTER_SHARE = 0.2  # back matter is looked for in this last share of a report's blocks
ALPHABET_RESTART = 4  # letters an entrant must sort before the last to restart a shortlist
EXAMPLE_WORDS = 40  # a new example names its council within its first sentence or two
MIN_WORDS = 25  # fewer words than this cannot describe a project: a caption or a stray line
MIN_EXAMPLE_WORDS = 12  # ... unless it is one sentence on what a council it names did
MAX_HEADINGS = 3  # number, council/byline and title: more stacked headings are a list


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


@dataclass
class _Draft:
    """An initiative being assembled while walking the blocks."""

    section: str
    inherited_title: str = ""  # the item heading, for the second council of a shared item
    headings: list[Block] = field(default_factory=list)
    body: list[Block] = field(default_factory=list)
    contacts: list[Block] = field(default_factory=list)


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
        listed = _key(text) in {_key(e) for e in entries}
        prose = any(len(line) > 120 for line in block.raw.splitlines())
        if inside and (prose or block.level == 1 or listed):
            inside = False
        if inside:
            indexes.add(i)
            entries.update(_entry_lines(block.raw))
    return {_key(e) for e in entries if len(e) > 3 and not e.isdigit()}, indexes


def _key(text: str) -> str:
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
                display.setdefault(_key(text), _section_name(text, entries))
        in_contact = 0
    return display


def _is_section(block: Block, entries: set[str]) -> bool:
    text = block.clean
    key = _key(text)
    if key in entries or (len(key) >= 10 and any(e.startswith(key) for e in entries)):
        return True  # listed on the contents page, perhaps in a longer form
    if find_councils(text) and len(text.split()) <= 6:
        return False  # a heading that only names a council marks whose item follows
    return (
        False
        or (_is_caps(text) and len(text.split()) >= 2)
        or block.level == 1
        or bool(_CATEGORY.search(text))
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


def _first_words(block: Block, words: int) -> str:
    return " ".join(block.clean.split()[:words])


def _opening_councils(block: Block, gazetteer: dict[str, str], words: int = 12) -> list[str]:
    """Councils named in the first dozen words of a block: whose paragraph this is."""
    opening = _first_words(block, words)
    return find_councils(opening) or find_places(opening, gazetteer)


def _continues(block: Block) -> bool:
    """A paragraph that opens in lower case is the rest of a sentence cut by a page break."""
    first = block.clean[:1]
    return first.islower()


def group(blocks: list[Block], sections: dict[str, str], gazetteer: dict[str, str]) -> list[_Draft]:
    """Walk classified blocks and assemble drafts of initiatives."""
    drafts: list[_Draft] = []
    section = outer = ""
    draft = _Draft(section)
    for block in blocks:
        if block.kind in {"contents", "back"}:
            continue
        if block.kind == "contact":
            (draft if draft.body or not drafts else drafts[-1]).contacts.append(block)
            continue
        if block.kind in {"heading", "section", "number"}:
            if block.kind == "section":
                outer, section = section, sections.get(_key(block.clean), block.clean)
            if draft.body:
                drafts.append(draft)
                draft = _Draft(section)
            draft.section = section
            # A run of headings with no text under them is a list (members, contents); only
            # the last few belong to the item that follows.
            draft.headings = [*draft.headings, block][-MAX_HEADINGS:]
            continue
        unfinished = _unfinished(draft, drafts)
        if _continues(block) and unfinished is not None:
            unfinished.body.append(block)
            continue
        if draft.body and _names_new_council(draft, block, gazetteer):
            drafts.append(draft)
            title = _title(draft)
            # An item heading that names a place belongs to that place's entry only.
            shared = not (find_councils(title) or find_places(title, gazetteer))
            draft = _Draft(section, inherited_title=title if shared else "")
        draft.body.append(block)
        if _is_box(draft):
            # A boxed panel sits inside a section: what follows it is the outer section's.
            drafts.append(draft)
            section = outer
            draft = _Draft(section)
    if draft.body:
        drafts.append(draft)
    return drafts


def _is_list(block: Block) -> bool:
    return all(line.lstrip().startswith(("- ", "• ", "* ")) for line in block.raw.splitlines())


def _is_box(draft: _Draft) -> bool:
    """A boxed panel: a section heading, perhaps a lead line ending in a colon, then a list."""
    lead = draft.body[:-1]
    return (
        any(h.kind == "section" for h in draft.headings)
        and len(lead) <= 1
        and all(b.clean.endswith(":") for b in lead)
        and _is_list(draft.body[-1])
    )


def _unfinished(draft: _Draft, drafts: list[_Draft]) -> _Draft | None:
    """The draft a lower-case paragraph continues: the latest one (a box aside) whose text
    stops mid-sentence, else the latest one with text."""
    recent = [d for d in [draft, *reversed(drafts[-3:])] if d.body]
    for candidate in recent:
        if not _is_box(candidate) and candidate.body[-1].clean[-1:] not in '.!?:”"’)':
            return candidate
    return recent[0] if recent else None


def _named(draft: _Draft, gazetteer: dict[str, str]) -> set[str]:
    """Place keys of the councils a draft names: in its headings, anywhere in its first
    paragraph, and in the first sentences of its other paragraphs."""
    texts = [h.clean for h in draft.headings] + [draft.body[0].clean]
    texts += [_first_words(b, EXAMPLE_WORDS) for b in draft.body[1:]]
    names = [c for t in texts for c in find_councils(t) + find_places(t, gazetteer)]
    return {place_key(c) for c in names}


def _names_new_council(draft: _Draft, block: Block, gazetteer: dict[str, str]) -> bool:
    """True when `block` starts another council's entry or example.

    Under a heading that is only a council's name, only a paragraph opening with another
    council starts a new one; otherwise a council named in the paragraph's first sentences
    does (entries with no heading line, a second example given under a topic heading)."""
    current = _named(draft, gazetteer)
    opening = _opening_councils(block, gazetteer)
    if not current:
        # An unnamed opening of two or more paragraphs is an entry of its own, not an intro.
        return bool(opening) and len(draft.body) >= 2
    if not any(_only_councils(h.clean) for h in draft.headings):
        opening = _opening_councils(block, gazetteer, EXAMPLE_WORDS)
    return bool(opening) and not current & {place_key(c) for c in opening}


def _spans(members: list[Block], report: list[Block]) -> tuple[Span, ...]:
    """Merge an initiative's blocks into spans: two blocks share a span unless a block of
    the report that is not the initiative's (a stray heading, a box) lies between them."""
    spans: list[Span] = []
    for block in sorted(members, key=lambda b: b.start):
        gap = spans and any(spans[-1].end <= b.start and b.end <= block.start for b in report)
        if spans and not gap:
            spans[-1] = Span(spans[-1].start, block.end)
        else:
            spans.append(Span(block.start, block.end))
    return tuple(spans)


def _first_sentence_title(text: str, words: int = 12) -> str:
    sentence = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    parts = sentence.split()
    return " ".join(parts[:words]) + ("…" if len(parts) > words else "")


def _title(draft: _Draft) -> str:
    """The item's own heading; else the shared item heading; else its section's heading
    (articles titled only by a contents entry); else the start of its first sentence."""
    for block in reversed([h for h in draft.headings if h.kind == "heading"]):
        text = _NUMBERED.sub("", block.clean).strip()
        if text and not _only_councils(text):
            return text
    if draft.inherited_title:
        return draft.inherited_title
    if any(h.kind == "section" for h in draft.headings) and draft.section:
        return draft.section
    return _first_sentence_title(draft.body[0].clean)


def _only_councils(text: str) -> bool:
    rest = text
    for word in ("Council", "LBC", "MBC", "MDC", "BC", "DC", "CC", "and", "&", "with", ","):
        rest = rest.replace(word, " ")
    return bool(find_councils(text)) and len(rest.split()) <= 3


def _councils(draft: _Draft, gazetteer: dict[str, str]) -> list[str]:
    """Councils the item's headings and first paragraph name, and those its other
    paragraphs open with; failing those, known places its headings or opening name."""
    found: list[str] = []
    heads = [h.clean for h in draft.headings]
    texts = heads + [draft.body[0].clean]
    texts += [" ".join(b.clean.split()[:12]) for b in draft.body[1:]]
    for text in texts:
        found += [c for c in find_councils(text) if c not in found]
    if not found:
        opening = " ".join(b.clean for b in draft.body[:2])
        for text in heads + [draft.inherited_title, opening]:
            found += [c for c in find_places(text, gazetteer) if c not in found]
    return found


def _initiative_id(source: str, body: str) -> str:
    return hashlib.sha1(f"{source}\n{body}".encode()).hexdigest()[:16]


def _normalised_body(draft: _Draft) -> str:
    return re.sub(r"\W+", " ", " ".join(b.clean for b in draft.body)).strip().lower()


def _is_front_matter(draft: _Draft, title: str, councils: list[str]) -> bool:
    """A foreword, a message or a cover page; later items with their own heading are kept."""
    opens_section = any(h.kind == "section" for h in draft.headings)
    return (
        any(_FURNITURE.match(h.clean) for h in draft.headings)
        or bool(_FURNITURE.match(title))
        or bool(_FURNITURE.match(draft.section) and opens_section)
        or not (draft.headings or draft.section or councils)  # text before any heading
    )


def _with_spans(item: Initiative, spans: tuple[Span, ...]) -> Initiative:
    return replace(item, spans=tuple(sorted({*item.spans, *spans}, key=lambda s: s.start)))


def to_initiatives(
    source: str, drafts: list[_Draft], gazetteer: dict[str, str], blocks: list[Block]
) -> list[Initiative]:
    """Turn drafts into initiatives, dropping front matter and fragments; a repeated entry
    becomes one initiative with a span at each place (its id from the text, so stable)."""
    by_body: dict[str, int] = {}
    result: list[Initiative] = []
    for draft in drafts:
        body = _normalised_body(draft)
        title = _title(draft)
        councils = _councils(draft, gazetteer)
        spans = _spans(draft.headings + draft.body + draft.contacts, blocks)
        words = len(body.split())
        if councils and draft.body and MIN_EXAMPLE_WORDS <= words < MIN_WORDS:
            words = MIN_WORDS  # one sentence on what a named council did is an example
        if words < MIN_WORDS and not draft.headings and result:
            # A fragment cut off an entry stays reachable, in the entry it followed.
            result[-1] = _with_spans(result[-1], spans)
            continue
        if words < MIN_WORDS or _is_front_matter(draft, title, councils):
            continue
        if body in by_body:
            first = result[by_body[body]]
            result[by_body[body]] = _with_spans(first, spans)
            continue
        by_body[body] = len(result)
        contact = " | ".join(b.clean for b in draft.contacts)
        result.append(
            Initiative(
                id=_initiative_id(source, body),
                source=source,
                title=title,
                councils=tuple(councils),
                section=draft.section,
                spans=spans,
                contact=contact,
            )
        )
    return result


def _mark_back_matter(blocks: list[Block]) -> None:
    """Mark the report's back matter (notes, thanks, publisher, sign-in links) as "back":
    from the first block in its last pages that opens with such words or is such a heading."""
    for block in blocks[int(len(blocks) * (1 - BACK_MATTER_SHARE)) :]:
        text = block.clean
        heading = block.kind in {"heading", "section"} and bool(_FURNITURE.search(text))
        if heading or _BACK_MATTER.match(text):
            for later in blocks[blocks.index(block) :]:
                later.kind = "back"
            return


def _order_letter(item: Initiative) -> str:
    return place_key(item.councils[0])[:1] if item.councils else ""


def _restarts(items: list[Initiative], i: int, last: str) -> bool:
    """True when entry `i` sorts well before the entry before it and the next one of its
    section carries on from it: the alphabet of a shortlist has started again."""
    letter = _order_letter(items[i])
    later = [_order_letter(n) for n in items[i + 1 :] if n.section == items[i].section]
    after = next((f for f in later if f), "")
    return bool(last) and ord(letter) < ord(last) - ALPHABET_RESTART and letter <= after <= last


def _end_unheaded_categories(items: list[Initiative], categories: set[str]) -> list[Initiative]:
    """Clear an award category's label from its entries after its list ends unheaded.

    Shortlists run alphabetically by entrant; where the alphabet starts again a new category
    has begun whose heading the report lacks, so those entries' section is unknown."""
    result: list[Initiative] = []
    section, last, ended = "", "", False
    for i, item in enumerate(items):
        if item.section != section:
            section, last, ended = item.section, "", False
        if item.section in categories and _order_letter(item) and not ended:
            ended = _restarts(items, i, last)
            last = _order_letter(item)
        result.append(replace(item, section="") if ended else item)
    return result


def parse_report(
    source: str, text: str, gazetteer: dict[str, str] | None = None
) -> list[Initiative]:
    """Split one report's text into initiatives (councils not yet merged across reports).

    `gazetteer` maps place keys ("lewisham") to council names; with it, a paragraph that
    opens with a known place ("In Cheshire West and Chester, ...") counts as naming it.
    """
    blocks = split_blocks(text)
    sections = classify(blocks)
    _mark_back_matter(blocks)
    drafts = group(blocks, sections, gazetteer or {})
    if any(b.kind == "section" for b in blocks):
        drafts = [d for d in drafts if d.section]  # text before the first section: cover, foreword
    categories = {
        sections.get(_key(b.clean), b.clean)
        for b in blocks
        if b.kind == "section" and _CATEGORY.search(b.clean)
    }
    items = to_initiatives(source, drafts, gazetteer or {}, blocks)
    return _end_unheaded_categories(items, categories)

