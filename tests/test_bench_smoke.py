"""The request-path pieces the benchmark relies on: the batching embedder gives each caller
its own rows and batches concurrent callers, and the load clients count and stop."""

from __future__ import annotations

import asyncio
import socket
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from councilqa.embedding import BatchingEmbedder

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import load  # noqa: E402


class SlowEmbedder:
    """One row per text (its length and first letter), after a pause like a model's."""

    def __init__(self, fail_on: str = "") -> None:
        self.batches: list[int] = []
        self.fail_on = fail_on

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.01)
        if self.fail_on in texts:
            raise ValueError(f"cannot embed {self.fail_on!r}")
        self.batches.append(len(texts))
        return np.array([[len(t), ord(t[0])] for t in texts], dtype=np.float32)


def _in_threads(embedder: BatchingEmbedder, texts: list[str]) -> dict[str, object]:
    results: dict[str, object] = {}

    def one(text: str) -> None:
        try:
            results[text] = embedder.embed([text])
        except ValueError as exc:
            results[text] = exc

    threads = [threading.Thread(target=one, args=(t,)) for t in texts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    return results


def test_concurrent_callers_get_their_own_rows_in_fewer_calls():
    inner = SlowEmbedder()
    texts = [chr(ord("a") + i) * (i + 1) for i in range(12)]
    results = _in_threads(BatchingEmbedder(inner, max_texts=8), texts)
    for text in texts:
        assert np.array_equal(results[text], [[len(text), ord(text[0])]])
    assert sum(inner.batches) == 12 and len(inner.batches) < 12
    assert max(inner.batches) <= 8


def test_a_lone_caller_runs_at_once_and_a_failure_reaches_every_caller_in_its_batch():
    embedder = BatchingEmbedder(SlowEmbedder(fail_on="bad"))
    assert embedder.embed(["solo"]).shape == (1, 2) and embedder.calls == 1
    results = _in_threads(embedder, ["bad", "x", "y", "z"])
    assert isinstance(results["bad"], ValueError)
    assert all(isinstance(v, (ValueError, np.ndarray)) for v in results.values())
    assert embedder.embed(["after"]).shape == (1, 2)  # not left busy by the failure


@pytest.mark.parametrize(("values", "q", "expected"), [([3, 1, 2], 50, 2), ([5], 95, 5)])
def test_percentile_is_nearest_rank(values, q, expected):
    assert load.percentile(values, q) == expected


def _tiny_server() -> int:
    """A keep-alive HTTP server in a thread: 200 for bodies holding "good", else 500."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                status = b"200 OK" if b"good" in body else b"500 Internal Server Error"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Length: 2\r\n\r\n{}")
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    ready = threading.Event()
    port: list[int] = []

    def serve() -> None:
        async def main() -> None:
            server = await asyncio.start_server(handle, load.HOST, 0)
            port.append(server.sockets[0].getsockname()[1])
            ready.set()
            await asyncio.sleep(5)
            server.close()

        asyncio.run(main())

    threading.Thread(target=serve, daemon=True).start()
    assert ready.wait(5)
    return port[0]


def test_load_clients_count_answers_and_errors_and_stop_by_themselves():
    port = _tiny_server()
    requests = load.search_requests(port, ["good one", "good two", "bad"])
    result = load.run_load(port, requests, clients=2, seconds=2, limit=30)
    assert result.requests == 60 and result.errors == 20
    assert "HTTP 500" in result.first_error and result.ms(50) > 0


def test_blocking_exchange_reads_each_answer_on_one_connection():
    port = _tiny_server()
    good, bad = load.search_requests(port, ["good", "bad"])
    with socket.create_connection((load.HOST, port)) as sock:
        assert [load.exchange_blocking(sock, r) for r in (good, bad, good)] == [200, 500, 200]
