"""The API under hostile input, through a real uvicorn server on 127.0.0.1 (the wire, not
TestClient): lone surrogates, chunked and oversized bodies, huge URLs, wrong types.

Plumbing only: the index is the fake-embedded one, so every test here is fast."""

from __future__ import annotations

import json
import logging
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from .conftest import FakeEmbedder, serve


@pytest.fixture(scope="module")
def base(fake_settings) -> Iterator[str]:
    """A real server over the fake-embedded index."""
    from councilqa.api import create_app

    yield from serve(create_app(fake_settings, FakeEmbedder()))


@pytest.fixture(scope="module")
def http(base) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base, timeout=10) as client:
        yield client


def raw_post(http: httpx.Client, path: str, body: str) -> httpx.Response:
    """POST a JSON text as written (so `\\ud800` reaches the server as a JSON escape)."""
    return http.post(path, content=body.encode(), headers={"content-type": "application/json"})


SURROGATE = "query has an invalid character at position 7 (a lone surrogate)"


@pytest.mark.parametrize("path", ["/search", "/ask"])
@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
def test_lone_surrogate_in_query_is_a_422(http, path, mode):
    r = raw_post(http, path, '{"query": "energy \\ud800 company", "mode": "' + mode + '"}')
    assert r.status_code == 422, r.text
    assert r.json()["detail"] == SURROGATE


@pytest.mark.parametrize("field", ["councils", "sources", "sections"])
def test_lone_surrogate_in_a_filter_is_a_422(http, field):
    body = '{"query": "energy", "filters": {"' + field + '": ["x\\udc00y"]}}'
    r = raw_post(http, "/search", body)
    assert r.status_code == 422, r.text
    assert f"unknown {field[:-1]} 'x\\udc00y'" in r.json()["detail"]


def test_streamed_ask_with_a_surrogate_is_a_422(http):
    r = raw_post(http, "/ask", '{"query": "\\ud83d energy", "stream": true}')
    assert r.status_code == 422
    assert "position 0 (a lone surrogate)" in r.json()["detail"]


def _chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    yield b'{"query": "'
    for _ in range(total // size):
        yield b"a" * size
    yield b'"}'


def test_chunked_body_over_the_limit_is_a_fast_small_413(http):
    started = time.monotonic()
    r = http.post(
        "/search", content=_chunks(50 * 1024 * 1024), headers={"content-type": "application/json"}
    )
    took = time.monotonic() - started
    assert r.status_code == 413
    assert r.json()["detail"] == (
        "request body is over the limit (chunked); the limit is 65536 bytes"
    )
    assert len(r.content) < 200 and took < 2, took


def test_declared_body_over_the_limit_is_a_413(http):
    r = raw_post(http, "/search", '{"query": "%s"}' % ("a" * 70_000))
    assert r.status_code == 413
    assert r.json()["detail"] == "request body is 70013 bytes; the limit is 65536 bytes"


def test_a_long_bad_value_is_not_echoed_back(http):
    r = http.post("/search", json={"query": "housing", "top_k": "7" * 60_000})
    assert r.status_code == 422
    assert len(r.content) < 2_000
    assert r.json()["errors"][0]["input"] == "7" * 80


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"query": "housing", "top_k": True}, "top_k: Input should be a valid integer"),
        ({"query": "housing", "top_k": "7"}, "top_k: Input should be a valid integer"),
        ({"query": "housing", "top_k": 7.5}, "top_k: Input should be a valid integer"),
        ({"query": "housing", "generate": "yes"}, "generate: Input should be a valid boolean"),
        ({"query": "housing", "stream": 1}, "stream: Input should be a valid boolean"),
        ({"query": "housing", "filters": {"sections": [""]}}, "unknown section ''"),
        ({"query": "housing", "filters": {"councils": [" "]}}, "unknown council ' '"),
        ({"query": "\u200b\u200b"}, "query is empty: ask a question of 1 to 1000 characters"),
        ({"query": "\u200b \u2060\ufeff"}, "query is empty"),
    ],
)
def test_lax_input_is_refused(http, body, detail):
    r = http.post("/ask", json=body)
    assert r.status_code == 422, r.text
    assert detail in r.json()["detail"]


def test_a_whole_float_is_an_integer_as_json_schema_says(http):
    r = http.post("/search", json={"query": "housing", "top_k": 7.0})
    assert r.status_code == 200 and len(r.json()["passages"]) == 7


def test_unknown_council_says_where_the_list_is(http):
    r = http.post("/search", json={"query": "housing", "filters": {"councils": ["Atlantis"]}})
    assert r.status_code == 422
    assert r.json()["detail"].endswith("valid values: GET /councils")


@pytest.mark.parametrize(
    "kind", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]
)
def test_wrong_content_type_is_a_415(http, kind):
    r = http.post("/search", content=b'{"query": "housing"}', headers={"content-type": kind})
    assert r.status_code == 415
    assert r.json()["detail"] == (
        f"Content-Type {kind.split(';')[0]!r} is not supported: send application/json"
    )


def test_json_with_charset_is_accepted(http):
    r = http.post(
        "/search",
        content=b'{"query": "housing"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert r.status_code == 200


def test_head_health(http):
    r = http.head("/health")
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-type"] == "application/json"


def raw_request(base: str, head: bytes) -> tuple[int, dict]:
    """Send a request head as bytes on a plain socket (httpx refuses URLs over 64 KiB);
    return the status and JSON body of the answer."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(head)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    top, _, body = data.partition(b"\r\n\r\n")
    return int(top.split()[1]), json.loads(body)


@pytest.mark.parametrize("path", ["/search?q=" + "a" * 80_000, "/" + "a" * 80_000])
def test_huge_url_is_a_414_not_a_reset(base, path):
    status, body = raw_request(base, f"GET {path} HTTP/1.1\r\nhost: x\r\n\r\n".encode())
    assert (status, body) == (414, {"detail": "the request line (URL) is over 16384 bytes"})


@pytest.mark.parametrize("size", [20_000, 80_000])
def test_huge_headers_are_a_431(base, size):
    head = f"GET /health HTTP/1.1\r\nhost: x\r\nx-big: {'a' * size}\r\n\r\n".encode()
    status, body = raw_request(base, head)
    assert (status, body) == (431, {"detail": "the request headers are over 16384 bytes"})


def test_unparseable_request_is_a_json_400(base):
    status, body = raw_request(base, b"NOT AN HTTP REQUEST\r\n\r\n")
    assert (status, body) == (400, {"detail": "invalid HTTP request"})


def test_huge_headers_sent_in_pieces_are_a_431(base):
    """The limit counts the whole head, however the client splits it."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\n")
        for _ in range(20):
            sock.sendall(b"x-part: " + b"a" * 1000 + b"\r\n")
        sock.sendall(b"\r\n")
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 431 ")


def test_keep_alive_serves_requests_one_after_another(base):
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        for _ in range(3):
            sock.sendall(b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n")
            head = b""
            while b"\r\n\r\n" not in head:
                head += sock.recv(65536)
            assert head.startswith(b"HTTP/1.1 200 ")
            top, _, rest = head.partition(b"\r\n\r\n")
            length = int(top.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
            while len(rest) < length:
                rest += sock.recv(65536)


def test_server_still_answers_after_hostile_requests(http, base):
    raw_request(base, b"GET /" + b"a" * 80_000 + b" HTTP/1.1\r\n\r\n")
    assert http.get("/health").json()["status"] == "ok"


# `councilqa serve` as a subprocess: a problem on disk never stops it, and never shows a
# traceback; GET /health says what is wrong.


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Served:
    """`councilqa serve ARGS` on a free port with this corpus and index; stopped on exit."""

    def __init__(self, corpus, index, *args: str) -> None:
        import os
        import subprocess
        import sys
        from pathlib import Path

        self.port = _free_port()
        root = Path(__file__).resolve().parents[1]
        env = os.environ | {"COUNCILQA_CORPUS_DIR": str(corpus), "COUNCILQA_INDEX_DIR": str(index),
                            "PYTHONPATH": str(root / "src"), "HF_HUB_OFFLINE": "1"}  # fmt: skip
        command = [sys.executable, "-m", "councilqa.cli", "serve", "--port", str(self.port), *args]
        self.proc = subprocess.Popen(command, env=env, cwd=index.parent, text=True,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Served:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.proc.communicate()[1][-3000:]
            try:
                httpx.get(self.url + "/health", timeout=1)
                return self
            except httpx.TransportError:
                time.sleep(0.2)
        raise AssertionError("councilqa serve did not start")

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.stdout, self.stderr = self.proc.communicate(timeout=30)
        assert "Traceback" not in self.stderr, self.stderr[-3000:]


def _copies(tmp_path, fake_settings):
    import shutil

    from .conftest import copy_corpus

    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    shutil.copytree(fake_settings.index_dir, index)
    return corpus, index


@pytest.mark.parametrize("args", [("--no-build",), ()])
def test_serve_with_a_bad_corpus_file_serves_the_index_degraded(tmp_path, fake_settings, args):
    import fcntl

    corpus, index = _copies(tmp_path, fake_settings)
    (corpus / "stray.txt").write_bytes(b"not in the manifest \xff\xfe")
    stale = tmp_path / ".index.build-dead"  # left by a killed build: no live lock
    stale.mkdir()
    held = tmp_path / ".index.build-live"  # a build still running holds its lock
    held.mkdir()
    with (held / ".lock").open("wb") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        with Served(corpus, index, *args) as server:
            health = httpx.get(server.url + "/health").json()
            r = httpx.post(server.url + "/search", json={"query": "housing", "mode": "bm25"})
    assert r.status_code == 200 and r.json()["passages"]
    assert health["status"] == "degraded"
    assert health["problem"].startswith("corpus/ cannot be indexed: ")
    assert "stray.txt has no entry in" in health["problem"]
    assert not stale.exists() and held.exists()
    assert "index not rebuilt" in server.stderr


def test_serve_with_a_damaged_index_and_a_bad_corpus_answers_503(tmp_path, fake_settings):
    corpus, index = _copies(tmp_path, fake_settings)
    (corpus / "stray.txt").write_text("not in the manifest")
    data = (index / "catalog.sqlite").read_bytes()
    (index / "catalog.sqlite").write_bytes(data[:100] + bytes([data[100] ^ 1]) + data[101:])
    with Served(corpus, index) as server:
        health = httpx.get(server.url + "/health")
        r = httpx.post(server.url + "/search", json={"query": "housing"})
    assert health.status_code == 503 and health.json()["status"] == "unavailable"
    assert "catalog.sqlite was changed or damaged" in health.json()["problem"]
    assert "stray.txt has no entry" in health.json()["problem"]
    assert r.status_code == 503
    assert r.json()["detail"].startswith("no usable index: ")
    assert "catalog.sqlite was changed or damaged since the index was built" in r.json()["detail"]


class _Kept(logging.Handler):
    """Keeps the access log's records (uvicorn's logger does not propagate to caplog)."""

    def __init__(self, events: list) -> None:
        super().__init__()
        self.events = events

    def emit(self, record: logging.LogRecord) -> None:
        self.events.append(("log", record.args))


def test_access_log_has_one_line_a_request_in_uvicorns_format(fake_settings):
    """The line uvicorn would write (client, method, path, version, status), once: the
    protocol's own line is off, so nothing is logged twice."""
    from councilqa.api import create_app

    events: list = []
    for base in serve(create_app(fake_settings, FakeEmbedder()), log_level="info"):
        logging.getLogger("uvicorn.access").addHandler(_Kept(events))
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.post("/search", json={"query": "energy"}).status_code == 200
            assert client.get("/nowhere?x=1").status_code == 404
    assert [args[1:] for _, args in events] == [
        ("POST", "/search", "1.1", 200),
        ("GET", "/nowhere?x=1", "1.1", 404),
    ]


def test_access_log_is_written_after_the_response_is_sent():
    """Formatting and writing the line is not time the client waits for."""
    import asyncio

    from councilqa.api.server import AccessLog

    events: list = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 201, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def send(message):
        events.append(("sent", message["type"]))

    scope = {"type": "http", "method": "GET", "path": "/x", "query_string": b"",
             "http_version": "1.1", "client": ("127.0.0.1", 5), "root_path": ""}  # fmt: skip
    logger = logging.getLogger("uvicorn.access")
    handler, level = _Kept(events), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        asyncio.run(AccessLog(app)(scope, None, send))
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert events == [
        ("sent", "http.response.start"),
        ("sent", "http.response.body"),
        ("log", ("127.0.0.1:5", "GET", "/x", "1.1", 201)),
    ]


def test_worker_processes_build_the_logged_app_from_the_environment(fake_settings, monkeypatch):
    """`serve --workers N` hands uvicorn a factory: each worker builds the app from the
    environment's settings, access log included."""
    from councilqa import config

    monkeypatch.setenv("COUNCILQA_INDEX_DIR", str(fake_settings.index_dir))
    monkeypatch.setenv("COUNCILQA_CORPUS_DIR", str(fake_settings.corpus_dir))
    config.get_settings.cache_clear()
    events: list = []
    try:
        factory = "councilqa.api.server:logged_app"
        for base in serve(factory, factory=True, log_level="info"):
            logging.getLogger("uvicorn.access").addHandler(_Kept(events))
            health = httpx.get(f"{base}/health", timeout=10).json()
            assert health["status"] == "ok" and health["counts"]["reports"] == 5
    finally:
        config.get_settings.cache_clear()
    assert [args[1:] for _, args in events] == [("GET", "/health", "1.1", 200)]
