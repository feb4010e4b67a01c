"""Request limits as a plain ASGI middleware: a body over MAX_BODY_BYTES is refused with
413, whether it declares its length or arrives chunked (counted as it streams in).

A plain ASGI middleware: Starlette's BaseHTTPMiddleware would add a task and a stream
copy to every request, a visible share of a 10 ms search."""

from __future__ import annotations

import contextlib
from typing import Any

from fastapi.responses import JSONResponse

MAX_BODY_BYTES = 64 * 1024
MAX_UPLOAD_BYTES = 50 * 1024 * 1024  # POST /documents: a report file


class BodyTooLarge(Exception):
    """Raised inside `receive` when a streamed body passes the limit."""


class BodyLimit:
    """Refuse request bodies over MAX_BODY_BYTES with a 413 that says so."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope)
        length = dict(scope["headers"]).get(b"content-length", b"")
        if length.isdigit() and int(length) > limit:
            await _refuse(scope, receive, send, f"request body is {int(length)} bytes", limit)
            return
        seen, over, refused = 0, False, False

        async def counted() -> Any:
            nonlocal seen, over
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > limit:
                over = True
                raise BodyTooLarge
            return message

        async def guarded(message: Any) -> None:
            # FastAPI turns an error while reading the body into its own 400: once the body
            # is over the limit, the app's answer is replaced by the 413.
            nonlocal refused
            if not over:
                await send(message)
            elif not refused:
                refused = True
                await _refuse(
                    scope, receive, send, "request body is over the limit (chunked)", limit
                )

        with contextlib.suppress(BodyTooLarge):  # answered below
            await self.app(scope, counted, guarded)
        if over and not refused:
            await _refuse(scope, receive, send, "request body is over the limit (chunked)", limit)


def body_limit(scope: Any) -> int:
    """The largest body this request may send: a report file for an upload, else 64 KiB."""
    upload = scope["method"] == "POST" and scope["path"].rstrip("/") == "/documents"
    return MAX_UPLOAD_BYTES if upload else MAX_BODY_BYTES


async def _refuse(scope: Any, receive: Any, send: Any, what: str, limit: int) -> None:
    detail = f"{what}; the limit is {limit} bytes"
    await JSONResponse(status_code=413, content={"detail": detail})(scope, receive, send)
