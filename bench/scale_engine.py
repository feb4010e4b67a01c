"""Scale benchmark of the local backend: build N synthetic chunks, then open and query them in
a fresh process (so start-up and memory are what a server would see).

The corpus is deterministic and made from real material: 800-character windows of the
corpus/ reports, each synthetic chunk one window with its sentences shuffled, 1-2 of 400
synthetic councils, one of 5-50 sources and one of 50 sections. Its vector is the real
embedding (bundled all-MiniLM-L6-v2) of that window plus Gaussian noise, renormalised: unit
vectors clustered around the ~700 real ones (cosine ~0.8 to their centre), not real
embeddings of the shuffled texts. Queries are 240 spans of 2-8 real words, embedded once by
the same model and cached with the window embeddings under bench/results/.cache/.

    PYTHONPATH=src python bench/scale_engine.py --chunks 100000 [--json OUT] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from councilqa.engine import ChunkRecord
from councilqa.engine.dense import DenseParams
from councilqa.engine.local import build, open_backend
from councilqa.fusion import rrf
from councilqa.models import Filters
from councilqa.text import sentence_spans, tokenize

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "bench" / "results" / ".cache"  # ignored by git
NOISE = 0.035  # per-dimension noise on 384-d unit vectors: cosine ~0.8 to the real vector
SECTIONS = [f"Section {i:02d}" for i in range(50)]


def windows(width: int = 800) -> list[str]:
    """The real texts: consecutive windows of every corpus/ report."""
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "corpus").glob("*.txt"))]
    return [t[i : i + width] for t in texts for i in range(0, len(t), width)]


def queries(texts: list[str], n: int = 240) -> list[str]:
    """n spans of 2-8 consecutive words from the real texts."""
    rng = random.Random(3)
    out: list[str] = []
    while len(out) < n:
        words = rng.choice(texts).split()
        size = rng.randint(2, 8)
        start = rng.randrange(max(1, len(words) - size))
        query = " ".join(words[start : start + size])
        if tokenize(query):
            out.append(query)
    return out


def embeddings(texts: list[str], name: str) -> np.ndarray:
    """Unit embeddings of texts by the bundled model, cached in bench/results/.cache/."""
    path = CACHE / f"{name}.npy"
    if not path.exists():
        from sentence_transformers import SentenceTransformer

        from councilqa.config import bundled_model_path

        model = SentenceTransformer(bundled_model_path(), device="cpu")
        CACHE.mkdir(parents=True, exist_ok=True)
        np.save(path, model.encode(texts, normalize_embeddings=True).astype(np.float32))
    return np.load(path)


def corpus(n: int, texts: list[str], base: np.ndarray) -> tuple[list[ChunkRecord], np.ndarray]:
    """n synthetic records and their vectors (see the module docstring)."""
    rng = random.Random(n)
    sentences = [[t[s:e] for s, e in sentence_spans(t)] for t in texts]
    sources = [f"report_{i:02d}.pdf" for i in range(min(50, 5 + n // 25_000))]
    councils = [f"council-{i:03d}" for i in range(400)]
    picks = np.random.default_rng(n).integers(0, len(texts), n)
    records = []
    for row, pick in enumerate(picks.tolist()):
        parts = sentences[pick][:]
        rng.shuffle(parts)
        named = rng.sample(councils, rng.randint(1, 2))
        records.append(
            ChunkRecord(
                id=f"{row:08x}",
                initiative_id=f"i{row // 4}",
                text=" ".join(parts),
                councils=tuple(named),
                source=rng.choice(sources),
                section=rng.choice(SECTIONS),
            )
        )
    vectors = np.empty((n, base.shape[1]), dtype=np.float32)
    noise = np.random.default_rng(n + 1)
    for start in range(0, n, 100_000):
        rows = picks[start : start + 100_000]
        x = base[rows] + noise.standard_normal((len(rows), base.shape[1]), dtype=np.float32) * NOISE
        vectors[start : start + len(rows)] = x / np.linalg.norm(x, axis=1, keepdims=True)
    return records, vectors


def percentiles(times: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ms = sorted(t * 1000 for t in times)
    return statistics.median(ms), ms[int(0.95 * (len(ms) - 1))]


def timed(fn, items) -> tuple[list[float], list]:
    """Per-item wall times of fn(item), and its results."""
    times, results = [], []
    for item in items:
        t = time.perf_counter()
        results.append(fn(item))
        times.append(time.perf_counter() - t)
    return times, results


def hybrid(backend, query: str, vector: np.ndarray, filters: Filters) -> list[tuple[str, float]]:
    """What the search pipeline does: top-100 of each side, fused by RRF, best 10."""
    lexical = backend.lexical.search(query, vector, filters, 100)
    dense = backend.dense.search(query, vector, filters, 100)
    return rrf([[c for c, _ in lexical], [c for c, _ in dense]], k=60)[:10]


def rss() -> dict[str, float]:
    """Resident memory of this process in MB: total, anonymous, file-backed (mmap'd)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {k: int(status[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile")}


def measure(directory: Path, ef_values: list[int]) -> dict:
    """Open the backend and time queries: the body of the fresh subprocess."""
    texts = windows()
    qs = queries(texts)
    qv = embeddings(qs, "queries")
    t = time.perf_counter()
    backend = open_backend(directory)
    open_s = time.perf_counter() - t
    hybrid(backend, qs[0], qv[0], Filters())
    start_s = time.perf_counter() - t
    items = list(zip(qs, qv, strict=True))
    out: dict = {"open_s": open_s, "start_s": start_s}
    lex_t, _ = timed(lambda i: backend.lexical.search(i[0], None, Filters(), 100), items)
    den_t, den = timed(lambda i: backend.dense.search(i[0], i[1], Filters(), 100), items)
    hyb_t, _ = timed(lambda i: hybrid(backend, i[0], i[1], Filters()), items)
    council = Filters(councils=(f"council-{random.Random(1).randrange(400):03d}",))
    fil_t, _ = timed(lambda i: hybrid(backend, i[0], i[1], council), items)
    source = Filters(sources=("report_00.pdf",))
    src_t, _ = timed(lambda i: hybrid(backend, i[0], i[1], source), items)
    for name, times in [("lexical", lex_t), ("dense", den_t), ("hybrid", hyb_t)]:
        out[f"{name}_p50_ms"], out[f"{name}_p95_ms"] = percentiles(times)
    out["council_hybrid_p50_ms"], out["council_hybrid_p95_ms"] = percentiles(fil_t)
    out["source_hybrid_p50_ms"], out["source_hybrid_p95_ms"] = percentiles(src_t)
    out["rss_mb"] = rss()
    out["exact"] = exact_and_recall(backend, items, ef_values)
    return out


def exact_and_recall(backend, items, ef_values: list[int]) -> dict:
    """Brute-force (flat) latency over all vectors, and recall@10 of the index against it
    at each efSearch (HNSW only)."""
    dense = backend.dense
    exact_t, exact = timed(lambda i: dense.exact(i[1], 10, None)[0], items)
    out: dict = {"flat_p50_ms": percentiles(exact_t)[0]}
    if not dense._is_hnsw:
        return out
    for ef in ef_values:
        probe = replace(dense, params=replace(dense.params, ef_search=ef))
        times, found = timed(lambda i, p=probe: p.search("", i[1], Filters(), 10), items)
        recall = [
            len({int(c, 16) for c, _ in got} & set(e.tolist())) / 10
            for got, e in zip(found, exact, strict=True)
        ]
        out[f"ef{ef}"] = {"recall@10": float(np.mean(recall)), "p50_ms": percentiles(times)[0]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, required=True)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", type=Path, help="build here and keep it (default: a tmp dir)")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the subprocess
    parser.add_argument("--ef", default="32,64,128", help="efSearch values to check recall at")
    parser.add_argument("--m", type=int, default=DenseParams.m)
    parser.add_argument("--ef-construction", type=int, default=DenseParams.ef_construction)
    args = parser.parse_args()
    ef_values = [int(v) for v in args.ef.split(",")]
    if args.measure:
        print(json.dumps(measure(args.measure, ef_values)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        directory = args.keep or Path(tmp)
        result = run(args, directory)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")


def run(args: argparse.Namespace, directory: Path) -> dict:
    """Build N chunks into directory, then measure them in a fresh process."""
    texts = windows()
    t = time.perf_counter()
    records, vectors = corpus(args.chunks, texts, embeddings(texts, "windows"))
    generate_s = time.perf_counter() - t
    params = DenseParams(m=args.m, ef_construction=args.ef_construction)
    t = time.perf_counter()
    manifest = build(directory, records, vectors, params)
    build_s = time.perf_counter() - t
    del records, vectors
    command = [sys.executable, __file__, "--chunks", str(args.chunks), "--measure", str(directory)]
    measured = subprocess.run(
        [*command, "--ef", args.ef], check=True, capture_output=True, text=True
    )
    disk = sum(p.stat().st_size for p in directory.rglob("*") if p.is_file()) / 2**20
    return {
        "chunks": args.chunks,
        "generate_s": generate_s,
        "build_s": build_s,
        "disk_mb": disk,
        "manifest": manifest,
        **json.loads(measured.stdout.splitlines()[-1]),
    }


if __name__ == "__main__":
    main()
