"""Errors to HTTP responses, in one place: domain errors by class, validation errors with
a readable `detail` naming the field, and never more than a short excerpt of the input."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from ..errors import (
    CorpusError,
    CouncilQAError,
    IndexLoadError,
    NotFoundError,
    QueryError,
    SourceError,
)

# In order: the first class an error is an instance of decides (SourceError is a CorpusError).
STATUS = {
    QueryError: 422,
    NotFoundError: 404,
    SourceError: 422,
    IndexLoadError: 503,
    CorpusError: 503,
}
EXCERPT = 80  # characters of a bad input value echoed back in an error


class UnsupportedMediaType(Exception):
    """A request body that is not declared as JSON (HTTP 415)."""


def install_error_handlers(app: FastAPI) -> None:
    """Map CouncilQAError subclasses and validation errors to JSON error responses."""

    @app.exception_handler(CouncilQAError)
    async def domain_error(request: Request, exc: CouncilQAError) -> JSONResponse:
        status = next((code for cls, code in STATUS.items() if isinstance(exc, cls)), 400)
        return JSONResponse(status_code=status, content={"detail": str(exc)})

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = dict(exc.headers or {})
        if exc.status_code == 405:  # every method the path has, across routers
            headers["Allow"] = ", ".join(allowed_methods(request.app, request.scope))
        return JSONResponse({"detail": exc.detail}, exc.status_code, headers=headers)

    @app.exception_handler(UnsupportedMediaType)
    async def media_type_error(request: Request, exc: UnsupportedMediaType) -> JSONResponse:
        return JSONResponse(status_code=415, content={"detail": str(exc)})

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            ctx = errors[0].get("ctx", {})
            detail = f"malformed JSON body: {ctx.get('error', 'could not parse')}"
            return JSONResponse(status_code=400, content={"detail": detail})
        messages = [f"{_where(e)}: {e['msg']}" for e in errors]
        return JSONResponse(
            status_code=422, content={"detail": "; ".join(messages)[:2000], "errors": plain(errors)}
        )


def allowed_methods(app: FastAPI, scope: Any) -> list[str]:
    """The methods of every route whose path matches this request's path."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(scope)
        if match != Match.NONE:
            methods |= set(getattr(route, "methods", None) or ())
    return sorted(methods)


def _where(error: Any) -> str:
    return ".".join(str(p) for p in error["loc"] if p != "body") or "body"


def plain(errors: Any) -> list[dict[str, Any]]:
    """Validation errors as JSON: location, message, type and a short excerpt of the input."""
    return [
        {"loc": [str(p)[:EXCERPT] for p in e["loc"]], "msg": e["msg"][:500], "type": e["type"],
         "input": _excerpt(e.get("input"))}
        for e in errors[:20]
    ]  # fmt: skip


def _excerpt(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        text = value if not isinstance(value, str) else value[:EXCERPT]
        return text.encode("utf-8", "replace").decode() if isinstance(text, str) else text
    return repr(value)[:EXCERPT].encode("utf-8", "replace").decode()
