"""The corpus: report files in corpus/ and the manifest that describes them.

A report is a file of a supported type (see `sources.SUFFIXES`) plus an entry in
corpus/manifest.json (title, publisher, year, sha256, format). This module reads, checks
and edits that manifest (`add_file`, `remove_report`); it does not extract or parse
reports (see sources and ingest).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict
from pathlib import Path
from typing import Any

from .errors import CorpusError, NotFoundError
from .models import Report
from .sources import SUFFIXES, Extracted

MANIFEST = "manifest.json"


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_manifest(corpus_dir: Path) -> list[Report]:
    """The entries of corpus/manifest.json (an empty list when there is none yet)."""
    path = corpus_dir / MANIFEST
    if not path.is_file():
        return []
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))["reports"]
        return [Report(**entry) for entry in entries]
    except (ValueError, KeyError, TypeError) as exc:
        raise CorpusError(f"{path} is not a valid manifest: {exc}") from exc


def write_manifest(corpus_dir: Path, reports: list[Report]) -> None:
    """Write corpus/manifest.json atomically (a temporary file renamed over it)."""
    rows = [asdict(r) for r in sorted(reports, key=lambda r: r.source)]
    tmp = corpus_dir / f".{MANIFEST}.tmp"
    tmp.write_text(json.dumps({"reports": rows}, indent=2, ensure_ascii=False) + "\n", "utf-8")
    os.replace(tmp, corpus_dir / MANIFEST)


def report_files(corpus_dir: Path) -> list[Path]:
    """Every file of a supported type in corpus/ (hidden files and the manifest aside)."""
    return sorted(
        p
        for p in corpus_dir.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.suffix.lower() in SUFFIXES
    )


def load_reports(corpus_dir: Path) -> list[Report]:
    """Read and check corpus/manifest.json against the files beside it.

    Raises CorpusError naming the file when an entry has no file, a file has no entry,
    or a file's sha256 differs from its entry.
    """
    if not (corpus_dir / MANIFEST).is_file():
        raise CorpusError(
            f"{corpus_dir / MANIFEST} is missing: add reports with `councilqa add PATH`"
        )
    reports = read_manifest(corpus_dir)
    for report in reports:
        check_file(corpus_dir / report.source, report)
    listed = {r.source for r in reports}
    for path in report_files(corpus_dir):
        if path.name not in listed:
            raise CorpusError(
                f"{path} has no entry in {corpus_dir / MANIFEST}; "
                f"add it with `councilqa add {path}` or remove the file"
            )
    return reports


def check_file(path: Path, report: Report) -> None:
    """Raise CorpusError unless the file exists and has the manifest's sha256."""
    if "/" in report.source or "\\" in report.source or report.source.startswith("."):
        raise CorpusError(f"{report.source!r} is not a plain file name in {path.parent}")
    if not path.is_file():
        raise CorpusError(f"{path} is listed in the manifest but does not exist")
    actual = sha256_file(path)
    if actual != report.sha256:
        raise CorpusError(
            f"{path} has sha256 {actual} but the manifest says {report.sha256}; "
            f"re-add it with `councilqa add {path}` if it was changed on purpose"
        )


def fingerprint(reports: list[Report]) -> dict[str, str]:
    """source -> sha256 for every report: what the index manifest records."""
    return {r.source: r.sha256 for r in sorted(reports, key=lambda r: r.source)}


def entry_for(path: Path, extracted: Extracted, sha256: str, overrides: dict[str, Any]) -> Report:
    """A manifest entry for a file: the flags given, else the file's own metadata."""
    title = str(overrides.get("title") or extracted.title or path.stem.replace("_", " "))
    publisher = str(overrides.get("publisher") or extracted.author or "")
    year = overrides.get("year") or extracted.year
    pages = len(extracted.page_starts)
    return Report(
        path.name, title, publisher, int(year) if year else None, sha256, extracted.format, pages
    )


def place_file(corpus_dir: Path, path: Path, report: Report) -> None:
    """Copy `path` into corpus/ (unless it is there already) and record its entry. The copy
    is written beside and renamed, so it is whole."""
    target = corpus_dir / report.source
    if path.resolve() != target.resolve():
        tmp = corpus_dir / f".{report.source}.tmp"
        shutil.copyfile(path, tmp)
        os.replace(tmp, target)
    reports = [r for r in read_manifest(corpus_dir) if r.source != report.source]
    reports.append(report)
    write_manifest(corpus_dir, reports)


def remove_report(corpus_dir: Path, source: str) -> Report:
    """Delete a report's file and manifest entry; NotFoundError if it is not there."""
    reports = read_manifest(corpus_dir)
    found = next((r for r in reports if r.source == source), None)
    if found is None:
        names = ", ".join(r.source for r in reports) or "none"
        raise NotFoundError(f"no report {source!r} in {corpus_dir}; reports: {names}")
    write_manifest(corpus_dir, [r for r in reports if r.source != source])
    (corpus_dir / source).unlink(missing_ok=True)
    return found
