"""Sweep chunking, BM25 and fusion settings on the eval's dev split (never the test split).

Usage: .venv/bin/python bench/tune.py [--split dev]
Builds each chunk configuration in memory (nothing is written to index/), then scores
every BM25 variant and fusion setting against it. Prints one line per configuration.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import faiss
from councilqa.index import BuildConfig, LoadedIndex, build_chunks, model_fits
from councilqa.retrieval import Searcher

from councilqa.config import Settings
from councilqa.corpus import load_reports
from councilqa.embedding import SentenceTransformerEmbedder
from councilqa.eval import evaluate, load_questions, summarise
from councilqa.ingest import load_initiatives
from councilqa.models import SearchParams


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev")
    ap.add_argument("--chunk-tokens", default="150,200,230")
    ap.add_argument("--header", default="1,0")
    args = ap.parse_args()
    settings = Settings()
    corpus = settings.corpus_dir
    questions = [
        q
        for q in load_questions(Path("eval/questions.jsonl"), corpus)
        if args.split == "all" or q.split == args.split
    ]
    embedder = SentenceTransformerEmbedder(settings.model_name)
    reports = load_reports(corpus)
    initiatives = load_initiatives(corpus, reports)
    print("tokens header variant  k   wd | hybrid rec@10 mrr@10 ndcg@10 | dense ndcg | bm25 ndcg")
    for size, header in itertools.product(
        [int(x) for x in args.chunk_tokens.split(",")], [x == "1" for x in args.header.split(",")]
    ):
        config = BuildConfig("tune", settings.encoding, size, 32, header, "plus")
        chunks = build_chunks(corpus, initiatives, config, model_fits(embedder))
        vectors = embedder.embed([c.indexed_text for c in chunks])
        index = faiss.IndexFlatIP(vectors.shape[1])
        index.add(vectors)
        loaded = LoadedIndex(
            {}, tuple(reports), tuple(chunks), {i.id: i for i in initiatives}, index
        )
        for variant in ("okapi", "l", "plus"):
            for k, wd in itertools.product((10, 30, 60), (1.0, 1.5, 2.0)):
                s = Searcher(loaded, embedder, SearchParams(variant, k, 100, wd))
                h = summarise(evaluate(s, questions, "hybrid"))["overall"]
                d = (
                    summarise(evaluate(s, questions, "dense"))["overall"]
                    if k == 10 and wd == 1.0
                    else None
                )
                b = (
                    summarise(evaluate(s, questions, "bm25"))["overall"]
                    if k == 10 and wd == 1.0
                    else None
                )
                print(
                    f"{size:>6} {int(header):>6} {variant:>7} {k:>3} {wd:>4} | "
                    f"{h['recall@10']:.3f} {h['mrr@10']:.3f} {h['ndcg@10']:.3f} | "
                    f"{d['ndcg@10'] if d else float('nan'):.3f} | "
                    f"{b['ndcg@10'] if b else float('nan'):.3f}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())
