"""How the API is served: one process or several sharing a socket, with uvicorn's
httptools protocol and answers for requests it cannot parse.

uvicorn answers a request it cannot parse with a bare 400 and closes at once, and its
httptools protocol sets no limit on the request line and headers, so a client still
sending an 80 KB URL either fills the server's memory or sees the connection reset. Here a
head over 16 KiB gets 414 (request line too long) or 431 (headers too large), a head that
does not parse gets 400, each with a JSON `detail`, and the rest of what the client sends
is read and dropped until it is done (or a few seconds pass), so the answer arrives
instead of a reset. httptools (C) parses a request in a few microseconds where h11 (pure
Python) took about 0.1 ms of the CPU each request needs.

The access log is uvicorn's line, written once the response has been sent rather than
before its first byte (uvicorn's place): formatting and writing it cost 0.1-0.3 ms that a
client waited for.
"""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

MAX_HEAD_BYTES = 16 * 1024  # request line plus headers; h11's default, and nginx's 8-16 KiB
DRAIN_SECONDS = 3.0
_PHRASES = {400: b"Bad Request", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class Protocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with a head limit (414/431), JSON 400s and a drained
    connection after refusing."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access_log = False  # AccessLog writes the line, after the response
        self._head = b""  # the start of the request being read, up to the limit
        self._in_head = True  # reading a request line and headers (not a body)
        self._draining = False

    def data_received(self, data: bytes) -> None:
        """Refuse a head over the limit before the parser sees it."""
        if self._draining:
            return
        if self._in_head and len(self._head) <= MAX_HEAD_BYTES:
            self._head += data[: MAX_HEAD_BYTES + 4 - len(self._head)]
            if len(self._head) > MAX_HEAD_BYTES and b"\r\n\r\n" not in self._head:
                self._refuse(431)
                return
        super().data_received(data)

    def on_headers_complete(self) -> None:
        """What follows the head is the body: no longer counted against the limit."""
        self._in_head = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The next bytes on this connection start a new head."""
        self._head, self._in_head = b"", True
        super().on_message_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request that does not parse: say why, then drain."""
        self._refuse(400)

    def _refuse(self, status: int) -> None:
        if status == 431 and b"\n" not in self._head:
            status, detail = 414, f"the request line (URL) is over {MAX_HEAD_BYTES} bytes"
        elif status == 431:
            detail = f"the request headers are over {MAX_HEAD_BYTES} bytes"
        else:
            status, detail = 400, "invalid HTTP request"
        body = json.dumps({"detail": detail}).encode()
        head = (
            b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
            b"connection: close\r\n\r\n" % (status, _PHRASES[status], len(body))
        )
        self.transport.write(head + body)
        self._draining = True
        if self.transport.can_write_eof():
            self.transport.write_eof()  # the answer is complete; keep reading what comes
        self.loop.call_later(DRAIN_SECONDS, self.transport.close)


class AccessLog:
    """ASGI middleware writing uvicorn's access log line (same logger, same format) after
    the response is sent, so the client does not wait for it. Logs nothing when uvicorn's
    access log is off (no handlers: `--no-access-log` or a log level above info)."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.logger = logging.getLogger("uvicorn.access")

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Run the app, noting the status it sends; log the request when it is done."""
        logged = self.logger.isEnabledFor(logging.INFO) and self.logger.hasHandlers()
        if scope["type"] != "http" or not logged:
            await self.app(scope, receive, send)
            return
        status = 500  # what uvicorn answers when the app fails before starting a response

        async def noted(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, noted)
        finally:
            self.logger.info(
                '%s - "%s %s HTTP/%s" %d', get_client_addr(scope), scope["method"],
                get_path_with_query_string(scope), scope["http_version"], status,
            )  # fmt: skip


def logged_app() -> AccessLog:
    """The app from the environment's settings, with the access log (a uvicorn factory
    for worker processes)."""
    from . import create_app

    return AccessLog(create_app())


def server_config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration `councilqa serve` and the server tests run the app with
    (a factory's import string when `factory=True`)."""
    app = app if isinstance(app, str) else AccessLog(app)
    return uvicorn.Config(app, host=host, port=port, http=Protocol, **options)


def serve(app: Any, host: str, port: int) -> None:
    """Serve `app` in this process until interrupted."""
    uvicorn.Server(server_config(app, host, port, log_level="info")).run()


def serve_workers(host: str, port: int, workers: int) -> None:
    """Serve with `workers` processes sharing one listening socket. Each builds its own app
    from the same environment (so the same settings), opens the index itself and reloads
    it on its own when a build commits."""
    from uvicorn.supervisors import Multiprocess

    config = server_config(
        "councilqa.api.server:logged_app",
        host,
        port,
        factory=True,
        workers=workers,
        log_level="info",
    )
    bound = config.bind_socket()
    # uvicorn binds with protocol 0 and accepted sockets inherit it, so asyncio never sets
    # TCP_NODELAY on them and every keep-alive response after the first waits ~40 ms for
    # the client's delayed ACK (uvicorn issue #3149): name the protocol.
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    listener.set_inheritable(True)
    Multiprocess(config, sockets=[listener]).run()
