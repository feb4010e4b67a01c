"""Adding and removing reports: one call each, corpus and index kept in step.

`add_files` extracts each file first (a file that cannot be read is refused before
anything is copied), copies it into corpus/, records its manifest entry (from the flags or
the file's own metadata) and rebuilds the index incrementally: only the new or changed
report's chunks are embedded. If the rebuild fails, corpus/ is put back as it was, so
corpus and index never disagree and the previous index keeps serving. A lock file in
corpus/ keeps two adds or removes from interleaving.
"""

from __future__ import annotations

import fcntl
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import corpus, sources
from .build import Log, build_index
from .embedding import Embedder
from .errors import CorpusError
from .models import BuildConfig, Report


@dataclass(frozen=True)
class Added:
    """What `add_files` did with each path: added, replaced (changed file) or skipped."""

    path: Path
    action: str
    report: Report | None = None


def expand(paths: Sequence[Path]) -> list[Path]:
    """Files to add: each file given, and every supported file inside each directory."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p
                for p in path.rglob("*")
                if p.suffix.lower() in sources.SUFFIXES
                and p.is_file()
                and not p.name.startswith(".")
            )
        elif path.is_file():
            found.append(path)
        else:
            raise CorpusError(f"{path} does not exist")
    if not found:
        raise CorpusError(
            f"no supported files in {', '.join(map(str, paths))}; "
            f"supported: {', '.join(sorted(sources.SUFFIXES))}"
        )
    return found


def plan(corpus_dir: Path, path: Path) -> tuple[str, str]:
    """(action, sha256) for one file: "skip" when the same bytes are in the corpus already,
    "replace" when a report of that name has other bytes, else "add"."""
    sha = corpus.sha256_file(path)
    known = corpus.read_manifest(corpus_dir)
    if any(r.sha256 == sha for r in known):
        return "skip", sha
    return ("replace" if any(r.source == path.name for r in known) else "add"), sha


def add_files(
    corpus_dir: Path,
    index_dir: Path,
    config: BuildConfig,
    embedder: Embedder,
    paths: Sequence[Path],
    overrides: dict[str, Any],
    log: Log = print,
) -> list[Added]:
    """Add (or re-add) report files and rebuild the index; returns what was done."""
    files = expand(paths)
    with locked(corpus_dir), journal(corpus_dir) as record:
        done, fresh = [], {}
        for path in files:
            action, sha = plan(corpus_dir, path)
            if action == "skip":
                done.append(Added(path, action))
                continue
            found = sources.extract(path)  # raises SourceError naming the file and why
            report = corpus.entry_for(path, found, sha, overrides)
            record.touching(report.source)
            corpus.place_file(corpus_dir, path, report)
            fresh[report.source] = found
            done.append(Added(path, action, report))
        if fresh:
            build_index(corpus_dir, index_dir, config, embedder, log, fresh)
    return done


def remove(
    corpus_dir: Path,
    index_dir: Path,
    config: BuildConfig,
    embedder: Embedder,
    source: str,
    log: Log = print,
) -> Report:
    """Remove a report from corpus/ and the index (no embedding is needed)."""
    with locked(corpus_dir), journal(corpus_dir) as record:
        record.touching(source)
        report = corpus.remove_report(corpus_dir, source)
        build_index(corpus_dir, index_dir, config, embedder, log)
    return report


@contextmanager
def locked(corpus_dir: Path) -> Iterator[None]:
    """Hold corpus/.lock exclusively (waiting for another add or remove to finish)."""
    corpus_dir.mkdir(parents=True, exist_ok=True)
    with (corpus_dir / ".lock").open("wb") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


class Journal:
    """What an add or remove changed in corpus/, so that `undo` can put it back: the
    manifest as it was, files added, and files replaced or removed (kept aside)."""

    def __init__(self, corpus_dir: Path) -> None:
        self.corpus_dir = corpus_dir
        manifest = corpus_dir / corpus.MANIFEST
        self.manifest = manifest.read_bytes() if manifest.is_file() else None
        self.aside = corpus_dir / ".aside"
        shutil.rmtree(self.aside, ignore_errors=True)
        self.added: list[Path] = []

    def touching(self, name: str) -> None:
        """Note that corpus/<name> is about to be written or removed."""
        path = self.corpus_dir / name
        if path.is_file():
            self.aside.mkdir(exist_ok=True)
            shutil.copy2(path, self.aside / name)
        else:
            self.added.append(path)

    def undo(self) -> None:
        """Put corpus/ back as it was when the journal began."""
        for path in self.added:
            path.unlink(missing_ok=True)
        for kept in self.aside.glob("*") if self.aside.is_dir() else []:
            shutil.copy2(kept, self.corpus_dir / kept.name)
        manifest = self.corpus_dir / corpus.MANIFEST
        if self.manifest is None:
            manifest.unlink(missing_ok=True)
        else:
            manifest.write_bytes(self.manifest)

    def close(self) -> None:
        """Forget what was kept aside."""
        shutil.rmtree(self.aside, ignore_errors=True)


@contextmanager
def journal(corpus_dir: Path) -> Iterator[Journal]:
    """A Journal whose changes are undone if the body raises (or is interrupted)."""
    record = Journal(corpus_dir)
    try:
        yield record
    except BaseException:
        record.undo()
        raise
    finally:
        record.close()
