"""Frozen dataclasses for the domain; only these cross module lines.

Every object that carries text also carries where it came from: the corpus file name
(`source`) and `start`/`end` Python str offsets into that file's decoded text, so that
`text == source_text[start:end]` always holds for the cited span.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Report:
    """One report in corpus/, as described by corpus/manifest.json."""

    source: str
    title: str
    publisher: str
    year: int | None
    sha256: str
    format: str = "text"  # which Source extracted it: text, markdown, pdf, html, docx
    pages: int = 0  # page count of the original file; 0 when it has no pages


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
    pages: tuple[int, int] | None = None  # first and last page of its spans, when paged

    @property
    def start(self) -> int:
        """Offset of the first character of the initiative in its source."""
        return self.spans[0].start

    @property
    def end(self) -> int:
        """Offset just past the last character of the initiative in its source."""
        return self.spans[-1].end

    def full_text(self, source_text: str) -> str:
        """Its title and the text of every span: what term statistics read of it."""
        return " ".join([self.title, *(source_text[s.start : s.end] for s in self.spans)])


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


MODES = ("hybrid", "dense", "bm25")  # the one list of retrieval modes


@dataclass(frozen=True)
class Filters:
    """Which initiatives a search may return; empty tuples mean no restriction.

    Councils match by place (see councils.place_key), sources exactly, sections by
    case-insensitive substring of the section name."""

    councils: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    sections: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.councils or self.sources or self.sections)


@dataclass(frozen=True)
class SearchParams:
    """How a search ranks: RRF constant and the weights of the dense, named-council and
    award-category rankings (BM25 weighs 1), how many candidates each retriever
    over-fetches, and how long a shown passage may be (characters). No defaults here:
    `config.Settings` holds them (`config.search_params`)."""

    rrf_k: int
    candidates: int
    dense_weight: float
    passage_chars: int
    named_weight: float
    section_weight: float


@dataclass(frozen=True)
class BuildConfig:
    """Everything that decides the index's content; recorded in and checked against the
    manifest (a change makes the index stale)."""

    model: str
    encoding: str = "cl100k_base"
    chunk_tokens: int = 200
    chunk_overlap: int = 32
    chunk_header: bool = True
    backend: str = "local"
    qdrant_url: str | None = None


@dataclass(frozen=True)
class LLMConfig:
    """Where and how to reach an OpenAI-compatible chat-completions endpoint."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout_s: float = 30.0  # a deadline for the whole reply, not per read
    max_tokens: int = 512
    temperature: float = 0.1


@dataclass(frozen=True)
class Passage:
    """What a reader is shown of an initiative: source[start:end], with the character spans
    (absolute offsets into the source) of the sentences that matched the query."""

    source: str
    start: int
    end: int
    text: str  # source_text[start:end]
    highlights: tuple[Span, ...] = ()
    pages: tuple[int, int] | None = None


@dataclass(frozen=True)
class Hit:
    """A retrieved initiative: its passage, the chunk that scored, and why (higher = better).

    `scores` maps evidence names to values ("bm25", "bm25_rank", "dense", "dense_rank",
    "named_rank", ...), so a new retriever or reranker adds keys, not fields."""

    initiative: Initiative
    passage: Passage
    chunk_id: str
    score: float
    scores: Mapping[str, float | int | None] = field(default_factory=dict)
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
