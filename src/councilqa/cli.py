"""The command line: `councilqa index | search | ask | serve | eval`.

Domain errors are turned into a one-line message and exit code 2 here, in one place;
nobody sees a traceback for a mistake they can fix.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from collections.abc import Sequence

from pydantic import ValidationError

from .config import Settings, get_settings
from .errors import CouncilQAError, IndexLoadError


def build_config(settings: Settings):
    """The BuildConfig the settings ask for."""
    from .index import BuildConfig

    return BuildConfig(
        settings.model_label,
        settings.encoding,
        settings.chunk_tokens,
        settings.chunk_overlap,
        settings.chunk_header,
        settings.bm25_variant,
    )


def index_status(settings: Settings) -> list[str]:
    """Why the index must be (re)built; empty when it is current."""
    from .corpus import load_reports
    from .index import expected_manifest, read_manifest, stale_reasons

    try:
        manifest = read_manifest(settings.index_dir)
    except IndexLoadError as exc:
        return [str(exc)]
    expected = expected_manifest(build_config(settings), load_reports(settings.corpus_dir))
    return stale_reasons(manifest, expected)


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """Build the index (or, with --if-stale, only when it is missing or stale)."""
    from .embedding import SentenceTransformerEmbedder
    from .index import build_index, load_index

    reasons = index_status(settings)
    if args.if_stale and not reasons:
        try:
            load_index(settings.index_dir)
            print(f"index in {settings.index_dir}/ is current")
            return 0
        except IndexLoadError as exc:
            reasons = [str(exc)]
    for reason in reasons:
        print(f"rebuilding: {reason}", file=sys.stderr)
    embedder = SentenceTransformerEmbedder(settings.model_name, settings.embedding_batch_size)
    manifest = build_index(
        settings.corpus_dir, settings.index_dir, build_config(settings), embedder
    )
    counts = manifest["counts"]
    print(
        f"built {settings.index_dir}/: {counts['reports']} reports, {counts['initiatives']} "
        f"initiatives, {counts['chunks']} chunks in {manifest['build_seconds']} s"
    )
    return 0


def _searcher(settings: Settings):
    from .retrieval import open_searcher

    return open_searcher(
        settings.index_dir,
        settings.model_name,
        settings.embedding_batch_size,
        settings.search_params(),
    )


def _filters(args: argparse.Namespace):
    from .retrieval import Filters

    return Filters(tuple(args.council or ()), tuple(args.source or ()), tuple(args.section or ()))


def _check_query(query: str, settings: Settings) -> str:
    from .errors import QueryError

    if not query.strip():
        raise QueryError("the question is empty")
    if len(query) > settings.max_query_chars:
        raise QueryError(
            f"the question is {len(query)} characters; the limit is {settings.max_query_chars}"
        )
    return query.strip()


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Print ranked passages for a question."""
    from .schemas import Passage

    query = _check_query(args.query, settings)
    hits = _searcher(settings).search(query, args.top_k, args.mode, _filters(args))
    if args.json:
        print(
            json.dumps(
                {"query": query, "passages": [Passage.from_hit(h).model_dump() for h in hits]},
                indent=2,
                ensure_ascii=False,
            )
        )
        return 0
    if not hits:
        print("no passages matched")
    for hit in hits:
        _print_hit(hit, hit.rank)
    return 0


def _print_hit(hit, n: int) -> None:
    item, chunk = hit.initiative, hit.chunk
    councils = ", ".join(item.councils) or "(council not named)"
    print(f"[{n}] {councils} — {item.title}")
    print(
        f"    {chunk.source} [{chunk.start}:{chunk.end}]  section: {item.section or '-'}  "
        f"score {hit.score:.4f}"
    )
    print(textwrap.indent(textwrap.fill(" ".join(chunk.text.split()), 96), "    "))
    print()


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Print an answer with numbered citations, then the cited passages."""
    from .answer import Answerer

    query = _check_query(args.query, settings)
    hits = _searcher(settings).search(query, args.top_k, args.mode, _filters(args))
    answerer = Answerer.from_settings(settings)
    answer = answerer.answer(query, hits, generate=args.generate)
    if args.json:
        print(answerer.response(query, answer, 0.0).model_dump_json(indent=2))
        return 0
    print(answer.text)
    if answer.abstained:
        print(f"\n({answer.reason}; the closest passages follow)")
    if answer.llm_error:
        print(f"\n(LLM: {answer.llm_error})")
    print()
    cited = {c.n for c in answer.citations}
    for n, hit in enumerate(hits, start=1):
        if n in cited or answer.abstained:
            _print_hit(hit, n)
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Serve the API and the page; build the index first if it is missing or stale."""
    import uvicorn

    from .api import create_app

    if index_status(settings) and not args.no_build:
        cmd_index(argparse.Namespace(if_stale=True), settings)
    uvicorn.run(create_app(settings), host=args.host, port=args.port, log_level="info")
    return 0


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Score retrieval on the gold questions; see eval/README.md."""
    from .eval import run_eval

    return run_eval(args, settings)


def _add_search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="the question, in quotes")
    p.add_argument(
        "--top-k",
        type=int,
        default=5,
        choices=range(1, 51),
        metavar="N",
        help="passages to return, 1-50 (default 5)",
    )
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25"])
    p.add_argument("--council", action="append", help="only this council (repeatable)")
    p.add_argument("--source", action="append", help="only this report file (repeatable)")
    p.add_argument("--section", action="append", help="only sections containing this text")
    p.add_argument("--json", action="store_true", help="print the API response as JSON")


def parser() -> argparse.ArgumentParser:
    """The argument parser of the `councilqa` command."""
    top = argparse.ArgumentParser(prog="councilqa", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    p = sub.add_parser("index", help="build the index from corpus/")
    p.add_argument("--if-stale", action="store_true", help="only if missing or stale")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("search", help="ranked, cited passages for a question")
    _add_search_args(p)
    p.set_defaults(func=cmd_search)
    p = sub.add_parser("ask", help="an answer with citations")
    _add_search_args(p)
    p.add_argument("--generate", action="store_true", help="write the answer with the LLM")
    p.set_defaults(func=cmd_ask)
    p = sub.add_parser("serve", help="serve the HTTP API and the page")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-build", action="store_true", help="do not build a missing index")
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("eval", help="score retrieval on eval/questions.jsonl")
    p.add_argument("--questions", default="eval/questions.jsonl")
    p.add_argument("--top-k", type=int, default=10)
    p.add_argument("--mode", default="hybrid", choices=["hybrid", "dense", "bm25", "all"])
    p.add_argument("--baseline", choices=["naive"], help="also score plain 1000-char windows")
    p.add_argument("--split", choices=["dev", "test", "all"], default="all")
    p.add_argument("--out", default="eval/results", help="folder for the JSON result")
    p.set_defaults(func=cmd_eval)
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: run a command, turning councilqa errors into a message and exit 2."""
    args = parser().parse_args(argv)
    try:
        settings = get_settings()
        return int(args.func(args, settings))
    except CouncilQAError as exc:
        print(f"councilqa: error: {exc}", file=sys.stderr)
        return 2
    except ValidationError as exc:  # settings that fail validation
        print(f"councilqa: error: invalid setting: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
