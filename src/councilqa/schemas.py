"""Pydantic request and response schemas of the HTTP API (pydantic lives only at the edges)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from .models import Hit


class Filters(BaseModel):
    """Restrict results to these councils, reports (corpus file names) and sections."""

    model_config = ConfigDict(extra="forbid")
    councils: list[str] = Field(default_factory=list, max_length=50)
    sources: list[str] = Field(default_factory=list, max_length=50)
    sections: list[str] = Field(default_factory=list, max_length=50)


class SearchRequest(BaseModel):
    """A search: the question, how many passages, which retriever, which filters."""

    model_config = ConfigDict(extra="forbid")
    query: str = Field(..., description="The question; 1 to max_query_chars characters.")
    top_k: int = Field(5, ge=1, le=50)
    mode: Literal["hybrid", "dense", "bm25"] = "hybrid"
    filters: Filters = Field(default_factory=Filters)


class AskRequest(SearchRequest):
    """A question to answer from the retrieved passages, with or without an LLM."""

    generate: bool = False
    stream: bool = False


class PassageScores(BaseModel):
    """Why a passage ranks where it does: each retriever's score and rank (None = not found)."""

    bm25: float | None
    bm25_rank: int | None
    dense: float | None
    dense_rank: int | None
    named_rank: int | None = Field(
        None,
        description="rank among the initiatives of a council "
        "or section named in the query (hybrid only)",
    )


class Passage(BaseModel):
    """One ranked passage, cited to source[start:end] of a corpus file."""

    rank: int
    score: float
    initiative_id: str
    source: str
    title: str
    councils: list[str]
    section: str
    start: int
    end: int
    text: str
    scores: PassageScores

    @classmethod
    def from_hit(cls, hit: Hit) -> Passage:
        """Build the response shape of a domain Hit."""
        s = hit.scores
        return cls(
            rank=hit.rank,
            score=hit.score,
            initiative_id=hit.initiative.id,
            source=hit.chunk.source,
            title=hit.initiative.title,
            councils=list(hit.initiative.councils),
            section=hit.initiative.section,
            start=hit.chunk.start,
            end=hit.chunk.end,
            text=hit.chunk.text,
            scores=PassageScores(
                bm25=s.bm25,
                bm25_rank=s.bm25_rank,
                dense=s.dense,
                dense_rank=s.dense_rank,
                named_rank=s.named_rank,
            ),
        )


class SearchResponse(BaseModel):
    """Ranked passages for a query."""

    query: str
    took_ms: float
    passages: list[Passage]


class SpanOut(BaseModel):
    start: int
    end: int


class InitiativeOut(BaseModel):
    """One initiative whole: metadata and every span with its text."""

    id: str
    source: str
    title: str
    councils: list[str]
    section: str
    contact: str
    spans: list[SpanOut]
    text: list[str]


class DocumentOut(BaseModel):
    """One report of the corpus."""

    source: str
    title: str
    publisher: str
    year: int
    sha256: str
    initiatives: int


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
