"""The HTTP API: an app factory whose lifespan loads the index and model once.

Routes are a few lines each: request schema in, one domain call, response schema out.
Domain errors become HTTP errors in one handler; validation errors get a readable
`detail` that names the field and the problem. Nothing heavy happens at import.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.staticfiles import StaticFiles

from . import __version__
from .answer import Answerer
from .config import Settings, get_settings
from .corpus import read_source
from .errors import CorpusError, CouncilQAError, IndexLoadError, NotFoundError, QueryError
from .retrieval import Filters, Searcher, open_searcher
from .schemas import (
    AskRequest,
    AskResponse,
    CouncilOut,
    DocumentOut,
    DocumentText,
    InitiativeOut,
    Passage,
    SearchRequest,
    SearchResponse,
    SpanOut,
)

log = logging.getLogger("councilqa")
MAX_BODY_BYTES = 64 * 1024
_STATUS = {QueryError: 422, NotFoundError: 404, IndexLoadError: 503, CorpusError: 503}


def create_app(settings: Settings | None = None, searcher: Searcher | None = None) -> FastAPI:
    """Build the app; `searcher` may be passed in (tests share one across apps)."""
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.searcher = searcher or open_searcher(
            settings.index_dir,
            settings.model_name,
            settings.embedding_batch_size,
            settings.search_params(),
        )
        app.state.answerer = Answerer.from_settings(settings)
        yield

    app = FastAPI(
        title="councilqa",
        version=__version__,
        lifespan=lifespan,
        description="Cited answers from reports on what UK councils have done.",
    )
    app.state.settings = settings
    _install_error_handlers(app)
    _install_routes(app)
    static = resources.files("councilqa") / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")
    return app


def get_searcher(request: Request) -> Searcher:
    """The searcher loaded by the lifespan."""
    return request.app.state.searcher


def get_answerer(request: Request) -> Answerer:
    """The answerer (extractive, plus the LLM client when one is configured)."""
    return request.app.state.answerer


SearcherDep = Annotated[Searcher, Depends(get_searcher)]
AnswererDep = Annotated[Answerer, Depends(get_answerer)]


def _check_query(request: Request, query: str) -> str:
    limit = request.app.state.settings.max_query_chars
    if not query.strip():
        raise QueryError(f"query is empty: ask a question of 1 to {limit} characters")
    if len(query) > limit:
        raise QueryError(f"query is {len(query)} characters long; the limit is {limit}")
    return query.strip()


def _filters(body: SearchRequest) -> Filters:
    f = body.filters
    return Filters(tuple(f.councils), tuple(f.sources), tuple(f.sections))


def _install_routes(app: FastAPI) -> None:
    @app.post("/search", response_model=SearchResponse, tags=["search"])
    def search(body: SearchRequest, request: Request, searcher: SearcherDep) -> SearchResponse:
        """Ranked passages for a question, each cited to its report's exact span."""
        started = time.perf_counter()
        query = _check_query(request, body.query)
        hits = searcher.search(query, body.top_k, body.mode, _filters(body))
        return SearchResponse(
            query=query, took_ms=_ms(started), passages=[Passage.from_hit(h) for h in hits]
        )

    @app.post("/ask", response_model=AskResponse, tags=["answer"])
    def ask(
        body: AskRequest, request: Request, searcher: SearcherDep, answerer: AnswererDep
    ) -> Any:
        """An answer built from the passages, every claim cited; SSE when `stream` is true."""
        started = time.perf_counter()
        query = _check_query(request, body.query)
        hits = searcher.search(query, body.top_k, body.mode, _filters(body))
        if body.stream:
            events = answerer.stream(query, hits, generate=body.generate)
            return StreamingResponse(events, media_type="text/event-stream")
        answer = answerer.answer(query, hits, generate=body.generate)
        return answerer.response(query, answer, _ms(started))

    @app.get("/documents", response_model=list[DocumentOut], tags=["corpus"])
    def documents(searcher: SearcherDep) -> list[DocumentOut]:
        """Every report in the index, with how many initiatives it was split into."""
        counts: dict[str, int] = {}
        for item in searcher.initiatives.values():
            counts[item.source] = counts.get(item.source, 0) + 1
        return [
            DocumentOut(
                source=r.source,
                title=r.title,
                publisher=r.publisher,
                year=r.year,
                sha256=r.sha256,
                initiatives=counts.get(r.source, 0),
            )
            for r in searcher.index.reports
        ]

    @app.get("/documents/{source}/text", response_model=DocumentText, tags=["corpus"])
    def document_text(
        source: str,
        request: Request,
        searcher: SearcherDep,
        start: Annotated[int, Query(ge=0)] = 0,
        end: Annotated[int | None, Query(ge=0)] = None,
        context: Annotated[int, Query(ge=0, le=20_000)] = 1500,
    ) -> DocumentText:
        """A report's text from start-context to end+context, with the span to highlight."""
        report = next((r for r in searcher.index.reports if r.source == source), None)
        if report is None:
            raise NotFoundError(f"no report {source!r}; see GET /documents")
        text = read_source(request.app.state.settings.corpus_dir, source)
        end = len(text) if end is None else end
        if start > end or end > len(text):
            raise QueryError(f"span {start}-{end} is outside {source} (0-{len(text)})")
        lo, hi = max(0, start - context), min(len(text), end + context)
        return DocumentText(
            source=source,
            title=report.title,
            start=lo,
            end=hi,
            text=text[lo:hi],
            highlight_start=start,
            highlight_end=end,
            length=len(text),
        )

    @app.get("/initiatives/{initiative_id}", response_model=InitiativeOut, tags=["corpus"])
    def initiative(initiative_id: str, request: Request, searcher: SearcherDep) -> InitiativeOut:
        """One initiative whole, with every span of its report it was read from."""
        item = searcher.initiatives.get(initiative_id)
        if item is None:
            raise NotFoundError(f"no initiative with id {initiative_id!r}")
        text = read_source(request.app.state.settings.corpus_dir, item.source)
        return InitiativeOut(
            id=item.id,
            source=item.source,
            title=item.title,
            councils=list(item.councils),
            section=item.section,
            contact=item.contact,
            spans=[SpanOut(start=s.start, end=s.end) for s in item.spans],
            text=[text[s.start : s.end] for s in item.spans],
        )

    @app.get("/councils", response_model=list[CouncilOut], tags=["corpus"])
    def councils(searcher: SearcherDep) -> list[CouncilOut]:
        """Every council the initiatives name: the valid values of the council filter."""
        counts: dict[str, int] = {}
        for item in searcher.initiatives.values():
            for council in item.councils:
                counts[council] = counts.get(council, 0) + 1
        return [CouncilOut(council=c, initiatives=n) for c, n in sorted(counts.items())]

    @app.get("/sections", response_model=list[str], tags=["corpus"])
    def sections(searcher: SearcherDep) -> list[str]:
        """Every section name: the section filter matches any part of one of these."""
        return searcher.sections

    @app.get("/health", tags=["service"])
    def health(searcher: SearcherDep) -> dict[str, Any]:
        """Liveness plus what is loaded: counts, model and when the index was built."""
        manifest = searcher.index.manifest
        return {
            "status": "ok",
            "version": __version__,
            "model": manifest.get("model"),
            "built_at": manifest.get("built_at"),
            "counts": manifest.get("counts"),
        }

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        """The search page."""
        return FileResponse(str(resources.files("councilqa") / "static" / "index.html"))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


class BodyLimit:
    """Refuse request bodies over MAX_BODY_BYTES (by Content-Length) with a 413.

    A plain ASGI middleware: Starlette's BaseHTTPMiddleware would add a task and a stream
    copy to every request, a visible share of a 10 ms search."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length", b"")
            if length.isdigit() and int(length) > MAX_BODY_BYTES:
                detail = f"request body is {int(length)} bytes; the limit is {MAX_BODY_BYTES}"
                await JSONResponse(status_code=413, content={"detail": detail})(
                    scope, receive, send
                )
                return
        await self.app(scope, receive, send)


def _install_error_handlers(app: FastAPI) -> None:
    app.add_middleware(BodyLimit)

    @app.exception_handler(CouncilQAError)
    async def domain_error(request: Request, exc: CouncilQAError) -> JSONResponse:
        status = next((code for cls, code in _STATUS.items() if isinstance(exc, cls)), 400)
        return JSONResponse(status_code=status, content={"detail": str(exc)})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            ctx = errors[0].get("ctx", {})
            return JSONResponse(
                status_code=400,
                content={"detail": f"malformed JSON body: {ctx.get('error', 'could not parse')}"},
            )
        messages = [
            "{}: {}".format(".".join(str(p) for p in e["loc"] if p != "body") or "body", e["msg"])
            for e in errors
        ]
        return JSONResponse(
            status_code=422, content={"detail": "; ".join(messages), "errors": _plain(errors)}
        )


def _plain(errors: Any) -> list[dict[str, Any]]:
    """Validation errors without their non-JSON parts (the `ctx` may hold exceptions)."""
    return [{"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]} for e in errors]
