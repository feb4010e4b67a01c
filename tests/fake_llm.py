"""A small fake OpenAI-compatible chat-completions server on 127.0.0.1 for tests.

Its behaviour is set per test through `FakeLLM.mode`; every request body it receives is
kept in `FakeLLM.requests`, so tests can check what the client sent.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class FakeLLM:
    """Start with `with FakeLLM() as llm:`; its base URL is `llm.url`."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.reply = "Liverpool City Council set up an energy company [1]."
        self.requests: list[dict] = []
        self.trickle_s = 0.25  # seconds between bytes in mode "trickle"
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.url = f"http://127.0.0.1:{self.server.server_port}/v1"

    def __enter__(self) -> FakeLLM:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self):  # type: ignore[no-untyped-def]
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                body = json.loads(self.rfile.read(int(self.headers["content-length"])))
                fake.requests.append(body | {"auth": self.headers.get("authorization")})
                mode = fake.mode
                if mode == "slow":
                    time.sleep(3)
                if mode.startswith("trickle"):  # one byte every fake.trickle_s, never done
                    return self._trickle(stream=bool(body.get("stream")))
                if mode == "401":
                    return self._send(401, {"error": {"message": "Incorrect API key"}})
                if mode == "500":
                    return self._send(500, {"error": {"message": "overloaded"}})
                if mode == "garbage":
                    return self._raw(200, b"<html>not json</html>", "text/html")
                if mode == "empty":
                    return self._send(200, {"choices": [{"message": {"content": ""}}]})
                if body.get("stream"):
                    return self._stream(fake.reply, slow=mode == "slow-stream")
                self._send(
                    200, {"choices": [{"message": {"role": "assistant", "content": fake.reply}}]}
                )

            def _send(self, status: int, payload: dict) -> None:
                self._raw(status, json.dumps(payload).encode(), "application/json")

            def _raw(self, status: int, data: bytes, kind: str) -> None:
                self.send_response(status)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _trickle(self, stream: bool) -> None:
                """A valid reply, one byte at a time: each read is quick, the whole is not."""
                chunk = {"choices": [{"delta": {"content": "Liverpool [1]"}}]}
                data = (
                    f"data: {json.dumps(chunk)}\n\n" * 200
                    if stream
                    else json.dumps({"choices": [{"message": {"content": "x" * 2000 + " [1]"}}]})
                )
                self.send_response(200)
                self.send_header(
                    "content-type", "text/event-stream" if stream else "application/json"
                )
                if not stream:
                    self.send_header("content-length", str(len(data)))
                self.end_headers()
                try:
                    for byte in data.encode():
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(fake.trickle_s)
                except OSError:  # the client gave up, as it should
                    pass

            def _stream(self, text: str, slow: bool) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.end_headers()
                for word in text.split(" "):
                    chunk = {"choices": [{"delta": {"content": word + " "}}]}
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                    if slow:
                        time.sleep(0.6)
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()

        return Handler
