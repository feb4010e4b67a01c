"""The command line: `councilqa add | remove | list | index | search | ask | serve | eval`.

Domain errors are turned into a one-line message and exit code 2 here, in one place;
nobody sees a traceback for a mistake they can fix.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .config import Settings, build_config, get_settings
from .errors import CouncilQAError
from .models import MODES, Filters, Hit
from .terminal import format_hit


def cmd_index(args: argparse.Namespace, settings: Settings) -> int:
    """Build the index (or, with --if-stale, only when it is missing, stale or damaged)."""
    from .build import index_status

    reasons = index_status(settings.corpus_dir, settings.index_dir, build_config(settings))
    if args.if_stale and not reasons:
        print(f"index in {settings.index_dir}/ is current")
        return 0
    for reason in reasons:
        print(f"rebuilding: {reason}", file=sys.stderr)
    _build(settings)
    return 0


def _log(message: str) -> None:
    print(message, file=sys.stderr)


def _embedder(settings: Settings):
    from .service import build_embedder

    return build_embedder(settings)


def _build(settings: Settings) -> None:
    from .build import build_index

    build_index(
        settings.corpus_dir, settings.index_dir, build_config(settings), _embedder(settings), _log
    )
    _print_built(settings)


def _print_built(settings: Settings) -> None:
    from .store import read_manifest

    manifest = read_manifest(settings.index_dir)
    counts, embedded = manifest["counts"], manifest["embedded"]
    print(
        f"index {settings.index_dir}/: {counts['reports']} reports, {counts['initiatives']} "
        f"initiatives, {counts['chunks']} chunks ({embedded['new']} embedded, "
        f"{embedded['reused']} reused) in {manifest['build_seconds']} s"
    )


def cmd_add(args: argparse.Namespace, settings: Settings) -> int:
    """Add report files (or every supported file in a directory) and index them."""
    from .library import add_files

    overrides = {"title": args.title, "publisher": args.publisher, "year": args.year}
    done = add_files(
        settings.corpus_dir,
        settings.index_dir,
        build_config(settings),
        _embedder(settings),
        [Path(p) for p in args.paths],
        overrides,
        _log,
    )
    for item in done:
        what = {
            "skip": "already in the corpus (same sha256): skipped",
            "add": "added",
            "replace": "changed: re-indexed",
        }[item.action]
        print(f"{item.path}: {what}")
    if any(item.action != "skip" for item in done):
        _print_built(settings)
    return 0


def cmd_remove(args: argparse.Namespace, settings: Settings) -> int:
    """Remove a report from the corpus and the index."""
    from .library import remove

    report = remove(
        settings.corpus_dir,
        settings.index_dir,
        build_config(settings),
        _embedder(settings),
        args.source,
        _log,
    )
    print(f"removed {report.source} ({report.title})")
    _print_built(settings)
    return 0


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    """List the reports of the corpus, with what the index holds of each."""
    from .corpus import read_manifest

    counts: dict[str, int] = {}
    try:
        counts = _service(settings).catalog.initiative_counts()
    except CouncilQAError as exc:
        print(f"(index not readable: {exc})", file=sys.stderr)
    for r in read_manifest(settings.corpus_dir):
        indexed = f"{counts[r.source]} initiatives" if r.source in counts else "not indexed"
        pages = f"{r.pages} pp." if r.pages else "-"
        print(f"{r.source}\t{r.format}\t{pages}\t{r.year or '-'}\t{indexed}\t{r.title}")
    return 0


def _service(settings: Settings):
    from .service import open_service

    return open_service(settings)


def _filters(args: argparse.Namespace) -> Filters:
    return Filters(tuple(args.council or ()), tuple(args.source or ()), tuple(args.section or ()))


def cmd_search(args: argparse.Namespace, settings: Settings) -> int:
    """Print ranked passages for a question."""
    from .search import check_query

    query = check_query(args.query, settings.max_query_chars)
    hits = _service(settings).searcher.search(query, args.top_k, args.mode, _filters(args))
    if args.json:
        from .api.schemas import Passage

        passages = [Passage.from_hit(h).model_dump() for h in hits]
        print(json.dumps({"query": query, "passages": passages}, indent=2, ensure_ascii=False))
        return 0
    if not hits:
        print("no passages matched")
    for hit in hits:
        _print_hit(hit, hit.rank)
    return 0


def _print_hit(hit: Hit, n: int) -> None:
    print(format_hit(hit, n, ansi=sys.stdout.isatty()))


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    """Print an answer with numbered citations, then the cited passages."""
    from .search import check_query

    query = check_query(args.query, settings.max_query_chars)
    service = _service(settings)
    hits = service.searcher.answer_hits(query, args.top_k, args.mode, _filters(args))
    answer = service.answerer.answer(query, hits, generate=args.generate)
    if args.json:
        from .api.schemas import ask_response

        print(ask_response(query, answer, 0.0).model_dump_json(indent=2))
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
    """Serve the API and the page; build the index first if it is missing, stale or
    damaged. A problem never stops it: it serves the last good index (or answers 503)
    and GET /health says why."""
    from .api import create_app
    from .api.server import serve, serve_workers

    problem = ""
    try:
        if args.no_build:
            _check_corpus(settings)
        else:
            cmd_index(argparse.Namespace(if_stale=True), settings)
    except CouncilQAError as exc:  # serve the last good index; /health says why
        problem = f"corpus/ cannot be indexed: {exc}"
        print(f"councilqa: warning: index not rebuilt: {exc}", file=sys.stderr)
    if args.workers == 1:
        serve(create_app(settings, corpus_problem=problem), args.host, args.port)
    else:
        serve_workers(args.host, args.port, args.workers)
    return 0


def _check_corpus(settings: Settings) -> None:
    """CorpusError when corpus/ cannot be read as its manifest says (without building)."""
    from .corpus import load_reports

    load_reports(settings.corpus_dir)


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    """Score retrieval on the gold questions; see eval/README.md."""
    from .eval.run import run_eval

    return run_eval(
        settings, args.questions, args.top_k, args.mode, args.baseline, args.split, args.out
    )


def _whole_number(high: int) -> Callable[[str], int]:
    """An argparse type: a whole number from 1 to `high`, with a message that says so."""

    def parse(text: str) -> int:
        if not text.strip().isdigit() or not 1 <= int(text) <= high:
            raise argparse.ArgumentTypeError(
                f"{text[:20]!r} is not a whole number from 1 to {high}"
            )
        return int(text)

    return parse


_top_k = _whole_number(50)  # --top-k
_workers = _whole_number(64)  # serve --workers


def _add_search_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("query", help="the question, in quotes")
    p.add_argument(
        "--top-k",
        type=_top_k,
        default=5,
        metavar="N",
        help="passages to return, 1-50 (default 5)",
    )
    p.add_argument(
        "--mode", default="hybrid", choices=MODES, help="retrieval mode (default hybrid)"
    )
    p.add_argument("--council", action="append", help="only this council (repeatable)")
    p.add_argument("--source", action="append", help="only this report file (repeatable)")
    p.add_argument("--section", action="append", help="only sections containing this text")
    p.add_argument("--json", action="store_true", help="print the API response as JSON")


def _add_corpus_commands(sub: Any) -> None:
    """index, add, remove and list: the commands that change or show the corpus."""
    p = sub.add_parser("index", help="build the index from corpus/")
    p.add_argument("--if-stale", action="store_true", help="only if missing or stale")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser(
        "add", help="add report files (PDF, HTML, DOCX, Markdown, text) and index them"
    )
    p.add_argument("paths", nargs="+", help="files, or directories of files")
    p.add_argument("--title", help="the report's title (default: from the file)")
    p.add_argument("--publisher", help="who published it (default: the file's author)")
    p.add_argument("--year", type=int, help="year of publication (default: from the file)")
    p.set_defaults(func=cmd_add)
    p = sub.add_parser("remove", help="remove a report from the corpus and the index")
    p.add_argument("source", help="the report's file name in corpus/ (see `councilqa list`)")
    p.set_defaults(func=cmd_remove)
    p = sub.add_parser("list", help="list the reports in the corpus")
    p.set_defaults(func=cmd_list)


def parser() -> argparse.ArgumentParser:
    """The argument parser of the `councilqa` command."""
    top = argparse.ArgumentParser(prog="councilqa", description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    _add_corpus_commands(sub)
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
    p.add_argument(
        "--workers",
        type=_workers,
        default=1,
        metavar="N",
        help="server processes, each with the index open (about 300 MB each; default 1)",
    )
    p.set_defaults(func=cmd_serve)
    p = sub.add_parser("eval", help="score retrieval on eval/questions.jsonl")
    p.add_argument("--questions", default="eval/questions.jsonl", help="the gold questions (JSONL)")
    p.add_argument("--top-k", type=int, default=10, help="passages judged per question")
    p.add_argument("--mode", default="hybrid", choices=[*MODES, "all"], help="mode(s) to score")
    p.add_argument("--baseline", choices=["naive"], help="also score plain 1000-char windows")
    p.add_argument("--split", choices=["dev", "test", "all"], default="all", help="which questions")
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
    except BrokenPipeError:  # `councilqa search … | head`: the reader left, nothing is wrong
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
