"""Sweep the ranking settings on the eval's dev split (never the test split).

Usage: PYTHONPATH=src python bench/tune.py [--split dev] [--rrf-k 3,5,10] [--dense 1,1.5,2]
           [--named 1] [--candidates 100] [--passage-chars 2500] [--modes hybrid]

Opens the built index once (`open_service`), then scores every combination of the
query-time settings (RRF k, dense weight, named-ranking weight, candidates, passage cap)
with `eval.run.evaluate`. Nothing here needs a rebuild: settings that change the index
(`chunk_header`, chunk size) are compared by building a second index and pointing
COUNCILQA_INDEX_DIR at it. Retriever answers and query vectors are memoised, so a sweep
costs one retrieval per question and candidate count. Prints one line per combination.
"""

from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from councilqa.config import Settings, search_params
from councilqa.engine import Backend, Retriever
from councilqa.eval.gold import load_questions
from councilqa.eval.run import evaluate, summarise
from councilqa.models import Filters
from councilqa.search import Searcher
from councilqa.service import open_service


class MemoEmbedder:
    """Remembers each text's vector: the sweep embeds every question once."""

    def __init__(self, inner: object) -> None:
        self.inner = inner
        self.seen: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of `texts`, computed once each."""
        todo = [t for t in dict.fromkeys(texts) if t not in self.seen]
        if todo:
            self.seen.update(zip(todo, self.inner.embed(todo), strict=True))  # type: ignore[attr-defined]
        return np.stack([self.seen[t] for t in texts])


class MemoRetriever:
    """Remembers each (query, filters, k) answer of a retriever."""

    def __init__(self, inner: Retriever) -> None:
        self.inner = inner
        self.seen: dict[tuple[str, Filters, int], Sequence[tuple[str, float]]] = {}

    def search(
        self, query: str, query_vector: np.ndarray | None, filters: Filters, k: int
    ) -> Sequence[tuple[str, float]]:
        """The inner retriever's answer, computed once per key."""
        key = (query, filters, k)
        if key not in self.seen:
            self.seen[key] = self.inner.search(query, query_vector, filters, k)
        return self.seen[key]


def _floats(text: str) -> list[float]:
    return [float(x) for x in text.split(",")]


def main() -> int:
    """Run the sweep and print a table (redirect it into eval/tune-<date>.log)."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--split", default="dev", choices=("dev", "test", "all"))
    ap.add_argument("--rrf-k", default="3,5,10,20")
    ap.add_argument("--dense", default="1,1.5,2")
    ap.add_argument("--named", default="1")
    ap.add_argument("--section", default="1")
    ap.add_argument("--candidates", default="100")
    ap.add_argument("--passage-chars", default="2500")
    ap.add_argument("--modes", default="hybrid")
    args = ap.parse_args()
    settings = Settings()
    service = open_service(settings)
    questions = [
        q
        for q in load_questions(Path("eval/questions.jsonl"), service.catalog.text)
        if args.split == "all" or q.split == args.split
    ]
    base = service.searcher
    embedder = MemoEmbedder(base.embedder)
    backend = Backend(MemoRetriever(base.backend.lexical), MemoRetriever(base.backend.dense))
    print(f"# index {settings.index_dir} header={service.manifest.get('chunk_header', '?')} "
          f"split={args.split} n={len(questions)}")  # fmt: skip
    print("mode     k  dense named sect cand  chars | hit@1 hit@5 rec@10 mrr@10 ndcg@10 tokens "
          "| list rec prec")  # fmt: skip
    grid = itertools.product(
        args.modes.split(","),
        _floats(args.rrf_k),
        _floats(args.dense),
        _floats(args.named),
        _floats(args.section),
        _floats(args.candidates),
        _floats(args.passage_chars),
    )
    for mode, k, dense, named, section, cand, chars in grid:
        params = replace(search_params(settings), rrf_k=int(k), dense_weight=dense,
                         named_weight=named, section_weight=section, candidates=int(cand),
                         passage_chars=int(chars))  # fmt: skip
        searcher = Searcher(service.catalog, backend, embedder, params)
        s = summarise(evaluate(searcher, questions, mode, 10, service.answerer))
        o = s["overall"]
        print(
            f"{mode:<7}{int(k):>3} {dense:>5} {named:>5} {section:>4} {int(cand):>4} "
            f"{int(chars):>6} | "
            f"{o['hit@1']:.3f} {o['hit@5']:.3f} {o['recall@10']:.3f} {o['mrr@10']:.3f} "
            f"{o['ndcg@10']:.3f}  {s['tokens_per_passage']:>5} | "
            f"{s.get('list_council_recall') or 0:.3f} {s.get('list_council_precision') or 0:.3f}",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
