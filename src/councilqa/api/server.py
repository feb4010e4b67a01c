"""How the API is served: one process or several sharing a socket, with uvicorn's h11
protocol and answers for requests it cannot parse.

uvicorn answers a request whose line or headers pass h11's limit (16 KiB by default) with
a bare 400 and closes at once, so a client still sending its 80 KB URL sees the connection
reset. Here such a request gets 414 (request line too long) or 431 (headers too large)
with a JSON `detail`, and the rest of what the client sends is read and dropped until it
is done (or a few seconds pass), so the answer arrives instead of a reset.
"""

from __future__ import annotations

import json
import socket
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

MAX_HEAD_BYTES = 16 * 1024  # request line plus headers; h11's own default
DRAIN_SECONDS = 3.0
_PHRASES = {400: b"Bad Request", 414: b"URI Too Long", 431: b"Request Header Fields Too Large"}


class _Connection(h11.Connection):
    """h11's connection, remembering the status hint of the last protocol error."""

    error_status = 400

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.error_status = exc.error_status_hint
            raise


class Protocol(H11Protocol):
    """uvicorn's h11 protocol, with 414/431 and a drained connection for oversized heads."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.conn = _Connection(h11.SERVER, MAX_HEAD_BYTES)
        self._head = b""  # the start of the request being read, up to the limit
        self._draining = False

    def data_received(self, data: bytes) -> None:
        """Refuse a head over the limit (h11 only checks heads that arrive in pieces)."""
        if self._draining:
            return
        if self.conn.their_state is h11.IDLE and len(self._head) <= MAX_HEAD_BYTES:
            self._head += data[: MAX_HEAD_BYTES + 4 - len(self._head)]
            if len(self._head) > MAX_HEAD_BYTES and b"\r\n\r\n" not in self._head:
                self._refuse(431)
                return
        super().data_received(data)

    def on_response_complete(self) -> None:
        """The next request on this connection starts a new head."""
        self._head = b""
        super().on_response_complete()

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a request h11 cannot parse: say why, then drain."""
        self._refuse(getattr(self.conn, "error_status", 400))  # h11's, where it has one

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


def server_config(app: Any, host: str, port: int, **options: Any) -> uvicorn.Config:
    """The uvicorn configuration `councilqa serve` and the server tests run the app with."""
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
        "councilqa.api:create_app", host, port, factory=True, workers=workers, log_level="info"
    )
    bound = config.bind_socket()
    # uvicorn binds with protocol 0 and accepted sockets inherit it, so asyncio never sets
    # TCP_NODELAY on them and every keep-alive response after the first waits ~40 ms for
    # the client's delayed ACK (uvicorn issue #3149): name the protocol.
    listener = socket.socket(bound.family, bound.type, socket.IPPROTO_TCP, fileno=bound.detach())
    listener.set_inheritable(True)
    Multiprocess(config, sockets=[listener]).run()
