"""The corpus: report files in corpus/ and the manifest that describes them.

A report is a UTF-8 text file plus an entry in corpus/manifest.json (title, publisher,
year, sha256). This module reads and checks both; it does not parse reports (see ingest).
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path

from .errors import CorpusError
from .models import Report

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def load_reports(corpus_dir: Path) -> list[Report]:
    """Read and check corpus/manifest.json against the files beside it.

    Raises CorpusError naming the file when an entry has no file, a file has no entry,
    a file is not valid UTF-8, or a file's sha256 differs from its entry.
    """
    manifest_path = corpus_dir / MANIFEST
    if not manifest_path.is_file():
        raise CorpusError(f"{manifest_path} is missing: every report needs an entry there")
    try:
        entries = json.loads(manifest_path.read_text(encoding="utf-8"))["reports"]
        reports = [Report(**entry) for entry in entries]
    except (ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"{manifest_path} is not a valid manifest: {exc}") from exc
    listed = {r.source for r in reports}
    for path in sorted(corpus_dir.glob("*.txt")):
        if path.name not in listed:
            raise CorpusError(
                f"{path} has no entry in {manifest_path}; add one (source, title, publisher, "
                "year, sha256) or remove the file"
            )
    for report in reports:
        _check_file(corpus_dir / report.source, report)
    return reports


def _check_file(path: Path, report: Report) -> None:
    if not path.is_file():
        raise CorpusError(f"{path} is listed in the manifest but does not exist")
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CorpusError(
            f"{path} is not valid UTF-8 (byte {exc.start}): convert it first"
        ) from exc
    actual = sha256_file(path)
    if actual != report.sha256:
        raise CorpusError(
            f"{path} has sha256 {actual} but the manifest says {report.sha256}; "
            "update the manifest entry if the file was changed on purpose"
        )


@lru_cache(maxsize=64)
def _read(path: str, mtime_ns: int) -> str:
    return Path(path).read_text(encoding="utf-8")


def read_source(corpus_dir: Path, source: str) -> str:
    """The decoded text of one corpus file; citations are offsets into this string."""
    path = corpus_dir / source
    if "/" in source or "\\" in source or not path.is_file():
        raise CorpusError(f"no report named {source!r} in {corpus_dir}")
    return _read(str(path), path.stat().st_mtime_ns)


def fingerprint(reports: list[Report]) -> dict[str, str]:
    """source -> sha256 for every report: what the index manifest records."""
    return {r.source: r.sha256 for r in sorted(reports, key=lambda r: r.source)}
