"""POST /search and POST /ask."""

from __future__ import annotations

import time
from typing import Any

import orjson
from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response, StreamingResponse

from ...config import Settings
from ...models import Filters
from ...search import check_query
from ...service import ServiceHolder
from ..deps import HolderDep, ServiceDep, SettingsDep, require_json
from ..openapi import errors
from ..schemas import (
    AskRequest,
    AskResponse,
    SearchRequest,
    SearchResponse,
    ask_response,
    passage_data,
)
from ..sse import encode

router = APIRouter(
    tags=["search"],
    dependencies=[Depends(require_json)],
    responses=errors(400, 413, 415, 422, 503),
)


def _event(name: str, data: dict) -> dict:
    """One kind of server-sent event: its name and its JSON `data`."""
    payload = {"type": "string", "contentMediaType": "application/json", "contentSchema": data}
    return {"type": "object", "required": ["event", "data"],
            "properties": {"event": {"const": name}, "data": payload}}  # fmt: skip


_STREAM = {
    "description": "The answer; with `stream: true`, server-sent events: `passages` "
    "(the passages), `delta` (answer text as it arrives), then `done` (the whole response).",
    "content": {"text/event-stream": {"schema": {"oneOf": [
        _event("passages", {"type": "array", "items": {"$ref": "#/components/schemas/Passage"}}),
        _event("delta", {"type": "object", "required": ["text"],
                         "properties": {"text": {"type": "string"}}}),
        _event("done", {"$ref": "#/components/schemas/AskResponse"}),
    ]}}},
}  # fmt: skip


def _filters(body: SearchRequest) -> Filters:
    f = body.filters
    return Filters(tuple(f.councils), tuple(f.sources), tuple(f.sections))


def _ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)


@router.post("/search", response_model=SearchResponse)
async def search(body: SearchRequest, holder: HolderDep, settings: SettingsDep) -> Response:
    """Ranked initiatives for a question, each cited to its report's exact span."""
    # One trip to the thread pool for all the blocking work (the service, the search, the
    # response), rather than one per sync dependency, endpoint and response check.
    return await run_in_threadpool(_search, body, holder, settings)


def _search(body: SearchRequest, holder: ServiceHolder, settings: Settings) -> Response:
    service = holder.current()
    started = time.perf_counter()
    query = check_query(body.query, settings.max_query_chars)
    hits = service.searcher.search(query, body.top_k, body.mode, _filters(body))
    # Plain data straight to JSON: the SearchResponse shape (tests check it against the
    # model and the OpenAPI schema) without building and re-validating pydantic objects.
    payload = {"query": query, "took_ms": _ms(started), "passages": [passage_data(h) for h in hits]}
    # numpy scalars (a plugin backend may return them) serialise as plain numbers.
    data = orjson.dumps(payload, option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(data, media_type="application/json")


@router.post("/ask", response_model=AskResponse, responses={200: _STREAM})
def ask(body: AskRequest, service: ServiceDep, settings: SettingsDep) -> Any:
    """An answer built from the passages, every claim cited; SSE when `stream` is true."""
    started = time.perf_counter()
    query = check_query(body.query, settings.max_query_chars)
    hits = service.searcher.answer_hits(query, body.top_k, body.mode, _filters(body))
    if body.stream:
        events = service.answerer.stream(query, hits, generate=body.generate)
        return StreamingResponse(encode(query, events), media_type="text/event-stream")
    answer = service.answerer.answer(query, hits, generate=body.generate)
    return ask_response(query, answer, _ms(started))
