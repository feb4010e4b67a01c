"""councilqa benchmark: one run, ratios within the run (timings on this machine are noisy).

Measures:
  1. bare query embedding time of the model (median over the questions), and the time of
     Searcher.search itself in the same process (retrieval without HTTP);
  2. /search latency p50/p95 over the eval questions (97, varied), sequentially over HTTP;
  3. /search throughput with 8 concurrent clients;
  4. cold index build (a fresh `councilqa index` process into a temporary directory);
  5. server start-up with a built index (process start to the first 200 from /health),
     and the server's resident memory after the load.
Prints a table and writes bench/results/<timestamp>.json. Run with `make bench`.
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-m", "councilqa.cli"]


def questions() -> list[str]:
    rows = [json.loads(line) for line in (ROOT / "eval" / "questions.jsonl").open(encoding="utf-8")]
    return [r["question"] for r in rows]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(round(q / 100 * len(ordered) + 0.5)) - 1)]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bare_embedding_ms(qs: list[str]) -> dict[str, float]:
    """Median time to embed one question, with each runtime: the server uses the index's."""
    from councilqa.config import Settings
    from councilqa.embedding import OnnxEmbedder, SentenceTransformerEmbedder

    settings = Settings()
    embedders = {"sentence-transformers": SentenceTransformerEmbedder(settings.model_name)}
    if (settings.index_dir / "onnx" / "model.onnx").is_file():
        embedders["onnx"] = OnnxEmbedder(settings.index_dir / "onnx")
    result = {}
    for name, embedder in embedders.items():
        embedder.embed(["warm up"])
        times = []
        for q in qs:
            started = time.perf_counter()
            embedder.embed([q])
            times.append((time.perf_counter() - started) * 1000)
        result[name] = statistics.median(times)
    return result


def in_process_search_ms(qs: list[str]) -> float:
    """Median time of Searcher.search itself (no HTTP), with the server's query embedder."""
    from councilqa.retrieval import open_searcher

    from councilqa.config import Settings

    settings = Settings()
    searcher = open_searcher(settings.index_dir, settings.model_name, 32, settings.search_params())
    searcher.search("warm up", 10)
    times = []
    for q in qs:
        started = time.perf_counter()
        searcher.search(q, 10)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def start_server(port: int) -> tuple[subprocess.Popen, float]:
    started = time.perf_counter()
    proc = subprocess.Popen(
        CLI + ["serve", "--no-build", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while time.perf_counter() - started < 120:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                return proc, time.perf_counter() - started
        except httpx.HTTPError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("server did not start within 120 s")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def search_latencies(port: int, qs: list[str]) -> list[float]:
    times = []
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        client.post("/search", json={"query": "warm up"})
        for q in qs:
            started = time.perf_counter()
            assert client.post("/search", json={"query": q, "top_k": 10}).status_code == 200
            times.append((time.perf_counter() - started) * 1000)
    return times


def throughput(port: int, qs: list[str], clients: int = 8, rounds: int = 2) -> float:
    work = qs * rounds

    def one(q: str) -> None:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            assert client.post("/search", json={"query": q, "top_k": 10}).status_code == 200

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, work))
    return len(work) / (time.perf_counter() - started)


def cold_build_s() -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, COUNCILQA_INDEX_DIR=str(Path(tmp) / "index"))
        started = time.perf_counter()
        subprocess.run(CLI + ["index"], cwd=ROOT, env=env, check=True, capture_output=True)
        total = time.perf_counter() - started
        manifest = json.loads((Path(tmp) / "index" / "manifest.json").read_text())
    return total, manifest["build_seconds"]


def main() -> int:
    qs = questions()
    embed_ms = bare_embedding_ms(qs)
    inproc_ms = in_process_search_ms(qs)
    port = free_port()
    proc, startup = start_server(port)
    try:
        lat = search_latencies(port, qs)
        qps = throughput(port, qs)
        rss = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    build_total, build_inner = cold_build_s()
    p50, p95 = statistics.median(lat), percentile(lat, 95)
    served = embed_ms.get("onnx", embed_ms["sentence-transformers"])  # what the server runs
    result = {
        "questions": len(qs),
        "embedding_ms_p50_sentence_transformers": round(embed_ms["sentence-transformers"], 2),
        "embedding_ms_p50_onnx": round(embed_ms["onnx"], 2) if "onnx" in embed_ms else None,
        "search_ms_p50": round(p50, 2),
        "search_ms_p95": round(p95, 2),
        "search_p50_over_embedding": round(p50 / served, 2),
        "in_process_search_ms_p50": round(inproc_ms, 2),
        "in_process_search_over_embedding": round(inproc_ms / served, 2),
        "throughput_8_clients_qps": round(qps, 1),
        "server_startup_s": round(startup, 2),
        "server_rss_mb": round(rss, 1),
        "cold_build_process_s": round(build_total, 1),
        "cold_build_in_process_s": build_inner,
        "cpus": os.cpu_count(),
    }
    targets = {
        "search_p50_over_embedding": 1.5,
        "server_startup_s": 3.0,
        "cold_build_process_s": 60.0,
        "server_rss_mb": 1536,
    }
    for key, value in result.items():
        mark = ""
        if key in targets:
            mark = "  (target <= {}: {})".format(
                targets[key],
                "met" if value <= targets[key] else "MISSED",
            )
        print(f"{key:<28} {value}{mark}")
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    path = out / f"{time.strftime('%Y%m%dT%H%M%S')}.json"
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
