"""Load on a local server: keep-alive HTTP/1.1 clients on one asyncio loop, and the
server's memory.

The clients write pre-built requests on raw sockets and read each response by its
Content-Length, so a request costs the load generator tens of microseconds: on a 2-core
machine an httpx client per request would take a share of the CPU the server needs and
measure itself. Every run is bounded twice, by a deadline and by a request count, and only
ever targets 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import os
import socket
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

HOST = "127.0.0.1"  # the only host any load here may target


@dataclass
class Load:
    """What a run of clients saw: per-request latencies (seconds) and failures."""

    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    @property
    def requests(self) -> int:
        """Requests answered or failed."""
        return len(self.latencies) + self.errors

    @property
    def qps(self) -> float:
        """Answered requests per second of the run."""
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def ms(self, q: float) -> float:
        """The q-th percentile latency in milliseconds (nearest rank)."""
        return percentile([t * 1000 for t in self.latencies], q)


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile by nearest rank (q=50 is the upper median)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def median_ms(times: list[float]) -> float:
    """Median of times in seconds, in milliseconds."""
    return statistics.median(times) * 1000


def search_requests(port: int, queries: list[str], top_k: int = 10) -> list[bytes]:
    """One raw POST /search request per query."""
    head = (
        "POST /search HTTP/1.1\r\nHost: {host}:{port}\r\nContent-Type: application/json\r\n"
        "Content-Length: {length}\r\n\r\n"
    )
    out = []
    for query in queries:
        body = json.dumps({"query": query, "top_k": top_k}).encode()
        out.append(head.format(host=HOST, port=port, length=len(body)).encode() + body)
    return out


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    return int(head[9:12]), await reader.readexactly(content_length(head))


def content_length(head: bytes) -> int:
    """The Content-Length of a response head; ValueError when it has none."""
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            return int(line.split(b":", 1)[1])
    raise ValueError("response without Content-Length")


async def _client(
    port: int, requests: list[bytes], start: int, deadline: float, limit: int, load: Load
) -> None:
    """One keep-alive client: requests in turn from `start` until the deadline or limit."""
    conn = None
    sent = 0
    while sent < limit and time.perf_counter() < deadline:
        request = requests[(start + sent) % len(requests)]
        sent += 1
        began = time.perf_counter()
        try:
            conn = conn or await asyncio.open_connection(HOST, port)
            status, body = await _exchange(*conn, request)
        except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
            load.errors += 1
            load.first_error = load.first_error or repr(e)
            if conn:
                conn[1].close()
            conn = None
            continue
        if status != 200:
            load.errors += 1
            load.first_error = load.first_error or f"HTTP {status}: {body[:200]!r}"
        else:
            load.latencies.append(time.perf_counter() - began)
    if conn:
        conn[1].close()


async def _run(port: int, requests: list[bytes], clients: int, seconds: float, limit: int) -> Load:
    load = Load()
    began = time.perf_counter()
    deadline = began + seconds
    step = max(1, len(requests) // clients)  # clients start at different questions
    tasks = [_client(port, requests, i * step, deadline, limit, load) for i in range(clients)]
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + 60)
    load.seconds = time.perf_counter() - began
    return load


def run_load(
    port: int, requests: list[bytes], clients: int, seconds: float, limit: int = 10**9
) -> Load:
    """`clients` concurrent keep-alive clients for at most `seconds`, each sending at most
    `limit` requests (cycling through `requests`)."""
    return asyncio.run(_run(port, requests, clients, seconds, limit))


def exchange_blocking(sock: socket.socket, request: bytes) -> int:
    """Send one request on a connected keep-alive socket; read the whole response by its
    Content-Length; return its status."""
    sock.sendall(request)
    data = b""
    while b"\r\n\r\n" not in data:
        data += _recv(sock)
    head, body = data.split(b"\r\n\r\n", 1)
    length = content_length(head)
    while len(body) < length:
        body += _recv(sock)
    return int(head[9:12])


def _recv(sock: socket.socket) -> bytes:
    chunk = sock.recv(65536)
    if not chunk:
        raise ConnectionError("the server closed the connection")
    return chunk


def tree_pids(pid: int) -> list[int]:
    """`pid` and every process descending from it (uvicorn workers), from /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo += parents.get(current, [])
    return found


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and its descendants in MB (shared pages counted in each)."""
    total = 0
    for p in tree_pids(pid):
        try:
            status = Path(f"/proc/{p}/status").read_text()
        except OSError:
            continue
        total += next(int(s.split()[1]) for s in status.splitlines() if s.startswith("VmRSS:"))
    return total / 1024


def cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by `pid` and its living descendants."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for p in tree_pids(pid):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total / ticks
