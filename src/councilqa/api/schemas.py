"""Pydantic request and response schemas of the HTTP API (pydantic lives only at the edges)."""

from __future__ import annotations

import sys
import unicodedata
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StrictBool
from pydantic_core import PydanticCustomError

from ..models import MODES, Answer, Hit, Report

Mode = Literal[MODES]  # type: ignore[valid-type]
# check_query's rule as a JSON Schema pattern, so clients and schema-driven tests know it:
# a query needs one character that is not a control, format (zero-width), space or
# combining mark character (lone surrogates, which no JSON schema regex can name, are
# refused too).
_INVISIBLE = ("Cc", "Cf", "Mn", "Zl", "Zp", "Zs")


def _visible_pattern() -> str:
    """`[^...]`: one character outside the invisible categories, as code point ranges."""
    ranges, start = [], None
    for cp in range(sys.maxunicode + 2):
        invisible = cp <= sys.maxunicode and unicodedata.category(chr(cp)) in _INVISIBLE
        if invisible and start is None:
            start = cp
        elif not invisible and start is not None:
            ranges.append(_esc(start) + ("" if start == cp - 1 else "-" + _esc(cp - 1)))
            start = None
    return "[^" + "".join(ranges) + "]"


def _esc(cp: int) -> str:
    return f"\\u{cp:04x}" if cp <= 0xFFFF else chr(cp)


QUERY_PATTERN = _visible_pattern()


def _whole_number(value: Any) -> Any:
    """JSON's integers: 7 and 7.0, but not true, "7" or 7.5 (pydantic's lax mode takes
    the first two, its strict mode refuses 7.0, which JSON Schema calls an integer)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    if isinstance(value, float) and not value.is_integer():
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return int(value)


WholeNumber = Annotated[int, BeforeValidator(_whole_number)]


class Filters(BaseModel):
    """Restrict results to these councils, reports (corpus file names) and sections."""

    model_config = ConfigDict(extra="forbid")
    councils: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="Councils as GET /councils names them; another spelling of the same "
        "place matches too (Lambeth, Lambeth Council).",
    )
    sources: list[str] = Field(
        default_factory=list, max_length=50, description="Report file names (GET /documents)."
    )
    sections: list[str] = Field(
        default_factory=list, max_length=50,
        description="Section names (GET /sections); any part of a name matches the sections "
        "containing it.",
    )  # fmt: skip


class SearchRequest(BaseModel):
    """A search: the question, how many passages, which retriever, which filters."""

    model_config = ConfigDict(extra="forbid")
    query: str = Field(
        ...,
        description="The question: 1 to 1000 characters (COUNCILQA_MAX_QUERY_CHARS), "
        "at least one of them visible (not only spaces, controls or zero-width characters).",
        json_schema_extra={"minLength": 1, "maxLength": 1000, "pattern": QUERY_PATTERN},
    )
    top_k: WholeNumber = Field(5, ge=1, le=50, description="How many passages, 1 to 50.")
    mode: Mode = "hybrid"
    filters: Filters = Field(default_factory=Filters)


class AskRequest(SearchRequest):
    """A question to answer from the retrieved passages, with or without an LLM."""

    generate: StrictBool = Field(False, description="Write the answer with the LLM.")
    stream: StrictBool = Field(False, description="Answer as server-sent events.")


class SpanOut(BaseModel):
    """A character range [start, end) of the report's extracted text."""

    start: int
    end: int


class Passage(BaseModel):
    """One ranked initiative, cited to source[start:end] of its report's extracted text."""

    rank: int
    score: float
    initiative_id: str
    source: str
    title: str
    councils: list[str]
    section: str
    start: int
    end: int
    pages: list[int] | None = Field(None, description="first and last page, for paged reports")
    text: str
    highlights: list[SpanOut] = Field(
        default_factory=list, description="spans (report offsets) of the sentences that matched"
    )
    scores: dict[str, float | int | None] = Field(
        description="each retriever's score and rank (None = not retrieved by it)"
    )

    @classmethod
    def from_hit(cls, hit: Hit) -> Passage:
        """Build the response shape of a domain Hit."""
        return cls.model_validate(passage_data(hit))


def passage_data(hit: Hit) -> dict[str, Any]:
    """A hit as the plain JSON object `Passage` describes: /search serialises these
    directly (pydantic objects for ten passages cost a tenth of a search's CPU)."""
    p, item = hit.passage, hit.initiative
    return {
        "rank": hit.rank,
        "score": hit.score,
        "initiative_id": item.id,
        "source": p.source,
        "title": item.title,
        "councils": list(item.councils),
        "section": item.section,
        "start": p.start,
        "end": p.end,
        "pages": list(p.pages) if p.pages else None,
        "text": p.text,
        "highlights": [{"start": s.start, "end": s.end} for s in p.highlights],
        "scores": dict(hit.scores),
    }


class SearchResponse(BaseModel):
    """Ranked passages for a query."""

    query: str
    took_ms: float
    passages: list[Passage]


class InitiativeOut(BaseModel):
    """One initiative whole: metadata and every span with its text."""

    id: str
    source: str
    title: str
    councils: list[str]
    section: str
    contact: str
    spans: list[SpanOut]
    pages: list[int] | None
    text: list[str]


class DocumentOut(BaseModel):
    """One report of the index."""

    source: str
    title: str
    publisher: str
    year: int | None
    sha256: str
    format: str
    pages: int
    initiatives: int

    @classmethod
    def from_report(cls, r: Report, initiatives: int) -> DocumentOut:
        """The response shape of a Report."""
        return cls(source=r.source, title=r.title, publisher=r.publisher, year=r.year,
                   sha256=r.sha256, format=r.format, pages=r.pages,
                   initiatives=initiatives)  # fmt: skip


class DocumentText(BaseModel):
    """A window of a report's text around a span; `text == report[start:end]`."""

    source: str
    title: str
    start: int
    end: int
    text: str
    highlight_start: int
    highlight_end: int
    length: int
    pages: list[int] | None = Field(None, description="pages of the highlighted span")


class CouncilOut(BaseModel):
    council: str
    initiatives: int


class CitationOut(BaseModel):
    n: int
    initiative_id: str
    source: str
    start: int
    end: int


class AnswerOut(BaseModel):
    text: str
    citations: list[CitationOut]


class CouncilInitiative(BaseModel):
    title: str
    n: int


class CouncilGroup(BaseModel):
    council: str
    initiatives: list[CouncilInitiative]


class LLMInfo(BaseModel):
    """Which LLM answered, what went wrong if it failed, and citations it invented."""

    model: str
    error: str | None
    removed_citations: list[int] = Field(default_factory=list)


class AskResponse(BaseModel):
    """An answer whose every [n] cites passages[n-1]."""

    query: str
    answer: AnswerOut
    councils: list[CouncilGroup]
    passages: list[Passage]
    abstained: bool
    reason: str
    llm: LLMInfo | None
    took_ms: float


def ask_response(query: str, answer: Answer, took_ms: float) -> AskResponse:
    """The /ask response for a domain Answer."""
    llm = None
    if answer.llm_model or answer.llm_error:
        llm = LLMInfo(model=answer.llm_model or "", error=answer.llm_error,
                      removed_citations=list(answer.removed_citations))  # fmt: skip
    return AskResponse(
        query=query,
        answer=AnswerOut(
            text=answer.text,
            citations=[
                CitationOut(
                    n=c.n, initiative_id=c.initiative_id, source=c.source, start=c.start, end=c.end
                )
                for c in answer.citations
            ],
        ),  # fmt: skip
        councils=[
            CouncilGroup(
                council=g.council,
                initiatives=[CouncilInitiative(title=t, n=n) for t, n in g.initiatives],
            )
            for g in answer.councils
        ],  # fmt: skip
        passages=[Passage.from_hit(h) for h in answer.hits],
        abstained=answer.abstained,
        reason=answer.reason,
        llm=llm,
        took_ms=took_ms,
    )


class HealthOut(BaseModel):
    """What is served and whether it is degraded (`problem` says why)."""

    status: Literal["ok", "degraded", "unavailable"]
    problem: str | None
    model: str | None
    backend: str | None
    built_at: str | None
    counts: dict[str, int] | None
    version: str
