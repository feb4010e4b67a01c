"""Frozen dataclasses for the domain; only these cross module lines.

Every object that carries text also carries where it came from: the corpus file name
(`source`) and `start`/`end` Python str offsets into that file's decoded text, so that
`text == source_text[start:end]` always holds for the cited span.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Report:
    """One report in corpus/, as described by corpus/manifest.json."""

    source: str
    title: str
    publisher: str
    year: int
    sha256: str


@dataclass(frozen=True)
class Span:
    """A half-open character range [start, end) of a source file's text."""

    start: int
    end: int


@dataclass(frozen=True)
class Initiative:
    """One council's (or one partnership's) project, as a report describes it."""

    id: str
    source: str
    title: str
    councils: tuple[str, ...]
    section: str
    spans: tuple[Span, ...]
    contact: str = ""

    @property
    def start(self) -> int:
        """Offset of the first character of the initiative in its source."""
        return self.spans[0].start

    @property
    def end(self) -> int:
        """Offset just past the last character of the initiative in its source."""
        return self.spans[-1].end


@dataclass(frozen=True)
class Chunk:
    """A token-bounded window of one initiative span; the unit that is indexed."""

    id: str
    initiative_id: str
    source: str
    start: int
    end: int
    text: str  # source_text[start:end]
    indexed_text: str  # header + text: what the embedder and BM25 see


@dataclass(frozen=True)
class SearchParams:
    """How a search ranks: BM25 variant, RRF constant and dense weight, how many candidates
    each retriever over-fetches, and how wide a shown passage is (0 = the chunk as is)."""

    bm25_variant: str = "plus"
    rrf_k: int = 10
    candidates: int = 100
    dense_weight: float = 1.5
    passage_chars: int = 1000


@dataclass(frozen=True)
class Scores:
    """Per-retriever evidence for one hit; rank is 1-based, None where not retrieved."""

    bm25: float | None = None
    bm25_rank: int | None = None
    dense: float | None = None
    dense_rank: int | None = None
    named_rank: int | None = None  # rank among initiatives of a council or section the query names


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its initiative's metadata and its scores (higher = better)."""

    chunk: Chunk
    initiative: Initiative
    score: float
    scores: Scores = field(default_factory=Scores)
    rank: int = 0


@dataclass(frozen=True)
class Citation:
    """A numbered reference from answer text to passage n (1-based) of the passages."""

    n: int
    initiative_id: str
    source: str
    start: int
    end: int


@dataclass(frozen=True)
class CouncilEntry:
    """A council named by the retrieved initiatives, with the citations that name it."""

    council: str
    initiatives: tuple[tuple[str, int], ...]  # (initiative title, citation n)


@dataclass(frozen=True)
class Answer:
    """An answer to a question, with citations checked against the passages sent."""

    text: str
    citations: tuple[Citation, ...]
    hits: tuple[Hit, ...]
    councils: tuple[CouncilEntry, ...] = ()
    abstained: bool = False
    reason: str = ""
    llm_model: str | None = None
    llm_error: str | None = None
    removed_citations: tuple[int, ...] = ()
