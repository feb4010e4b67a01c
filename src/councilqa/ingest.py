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
from .layout import (
    CATEGORY,
    FURNITURE,
    Block,
    classify,
    heading_key,
    mark_back_matter,
    split_blocks,
)
from .models import Initiative, Span
from .shortlists import end_unheaded_categories

PARSER_VERSION = "4"

# "Cllr Jane Smith (Dudley)": a person, then the council they sit on, in brackets.
_AFFILIATION = re.compile(
    r"\b((?:Cllr|Councillor|Mayor)\.?(?:\s+[A-Z][\w'’-]+){1,3})\s*\([^()]{1,80}\)"
)
_NUMBERED = re.compile(r"^(\d{1,3})\s+(?=[A-Z])")
EXAMPLE_WORDS = 40  # a new example names its council within its first sentence or two
MIN_WORDS = 25  # fewer words than this cannot describe a project: a caption or a stray line
MIN_EXAMPLE_WORDS = 12  # ... unless it is one sentence on what a council it names did
MAX_HEADINGS = 3  # number, council/byline and title: more stacked headings are a list


@dataclass
class _Draft:
    """An initiative being assembled while walking the blocks."""

    section: str
    inherited_title: str = ""  # the item heading, for the second council of a shared item
    headings: list[Block] = field(default_factory=list)
    body: list[Block] = field(default_factory=list)
    contacts: list[Block] = field(default_factory=list)


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
    # Over 40 lines on purpose: one pass over the blocks with its state (section, draft)
    # in view; split up, the order of the cases below would be hard to follow.
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
                outer, section = section, sections.get(heading_key(block.clean), block.clean)
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
    paragraphs open with; failing those, known places its headings or opening name.
    A councillor's affiliation in brackets ("Cllr A Smith (Dudley)") names where a person
    sits, not who did the thing, so it labels nothing."""
    found: list[str] = []
    heads = [_AFFILIATION.sub(r"\1", h.clean) for h in draft.headings]
    texts = heads + [_AFFILIATION.sub(r"\1", draft.body[0].clean)]
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
        any(FURNITURE.match(h.clean) for h in draft.headings)
        or bool(FURNITURE.match(title))
        or bool(FURNITURE.match(draft.section) and opens_section)
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


def parse_report(
    source: str, text: str, gazetteer: dict[str, str] | None = None
) -> list[Initiative]:
    """Split one report's text into initiatives (councils not yet merged across reports).

    `gazetteer` maps place keys ("lewisham") to council names; with it, a paragraph that
    opens with a known place ("In Cheshire West and Chester, ...") counts as naming it.
    """
    blocks = split_blocks(text)
    sections = classify(blocks)
    mark_back_matter(blocks)
    drafts = group(blocks, sections, gazetteer or {})
    if any(b.kind == "section" for b in blocks):
        drafts = [d for d in drafts if d.section]  # text before the first section: cover, foreword
    categories = {
        sections.get(heading_key(b.clean), b.clean)
        for b in blocks
        if b.kind == "section" and CATEGORY.search(b.clean)
    }
    items = to_initiatives(source, drafts, gazetteer or {}, blocks)
    return end_unheaded_categories(items, categories)
