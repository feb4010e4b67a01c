"""The index directory: its manifest, checksums, atomic commit and clean-up.

    index/manifest.json     what built it: format, parser and tokenizer versions, model,
                            chunker, backend, corpus sha256s, counts, library versions, and
                            the sha256 and size of every other file (verified on load)
    index/catalog.sqlite    reports and their extracted texts, initiatives, chunk places
    index/vectors.npy       one unit vector per chunk, in catalogue row order (also the
                            cache that lets a rebuild embed only new or changed chunks)
    index/backend/          the backend's own files (local: BM25 and FAISS; qdrant: a local
                            Qdrant collection, or nothing when it lives on a server)
    index/files/            the original report files, served by GET /documents/{s}/file
    index/onnx/             the embedding model as ONNX, for queries without torch
    index/README.md         this layout, for whoever runs `ls index/`

A build writes a sibling `.index.build-*` directory and swaps it in with two renames, so
a crash or kill during a build leaves the previous index serving; a build directory that
no live build holds (a lock file inside it) is removed by the next build or start.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from .errors import IndexLoadError

FORMAT_VERSION = 3
README = __doc__ or ""
_LOCK = ".lock"
_FULL_HASH_BYTES = 256 << 20  # files larger than this are checked by size and ends only


def read_manifest(index_dir: Path) -> dict[str, Any]:
    """The manifest of the index in `index_dir`; IndexLoadError if missing or unreadable."""
    recover(index_dir)
    path = index_dir / "manifest.json"
    if not path.is_file():
        raise IndexLoadError(f"no index in {index_dir}/: run `councilqa index` to build it")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexLoadError(f"{path} is corrupted ({exc}): run `councilqa index`") from exc
    if not isinstance(manifest, dict) or manifest.get("format_version") != FORMAT_VERSION:
        raise IndexLoadError(
            f"{path} is not a councilqa index of format {FORMAT_VERSION}: run `councilqa index`"
        )
    return manifest


def stale_reasons(manifest: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    """What differs between an index's manifest and what the settings and corpus ask for."""
    reasons = []
    for key, want in expected.items():
        have = manifest.get(key)
        if key == "corpus" and isinstance(have, dict):
            reasons += _corpus_changes(have, want)
        elif have != want:
            reasons.append(f"{key} is {have!r} in the index but {want!r} in the settings")
    return reasons


def _corpus_changes(have: dict[str, str], want: dict[str, str]) -> list[str]:
    reasons = []
    for source in sorted(set(want) | set(have)):
        if source not in have:
            reasons.append(f"corpus/{source} is new since the index was built")
        elif source not in want:
            reasons.append(f"corpus/{source} was removed since the index was built")
        elif have[source] != want[source]:
            reasons.append(f"corpus/{source} changed since the index was built")
    return reasons


def file_digest(path: Path) -> str:
    """sha256 of a file; for very large files, of its size and first and last MiB."""
    digest = hashlib.sha256()
    size = path.stat().st_size
    with path.open("rb") as fh:
        if size <= _FULL_HASH_BYTES:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        else:  # opening a million-chunk index must stay under 3 s: ends and size only
            digest.update(str(size).encode() + fh.read(1 << 20))
            fh.seek(-(1 << 20), os.SEEK_END)
            digest.update(fh.read())
    return digest.hexdigest()


def checksums(directory: Path) -> dict[str, dict[str, Any]]:
    """Relative path -> {sha256, bytes} of every file under `directory` but the manifest."""
    found = {}
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        rel = path.relative_to(directory).as_posix()
        if rel not in ("manifest.json", _LOCK):
            found[rel] = {"sha256": file_digest(path), "bytes": path.stat().st_size}
    return found


def verify(index_dir: Path, manifest: dict[str, Any]) -> None:
    """Raise IndexLoadError naming the first file that is missing or not as built."""
    for rel, want in manifest.get("files", {}).items():
        path = index_dir / rel
        if not path.is_file():
            raise IndexLoadError(f"{path} is missing: run `councilqa index` to rebuild")
        if path.stat().st_size != want["bytes"] or file_digest(path) != want["sha256"]:
            raise IndexLoadError(
                f"{path} was changed or damaged since the index was built "
                "(checksum mismatch): run `councilqa index` to rebuild"
            )


class BuildDir:
    """A sibling temporary directory a build writes into, held by a lock while it lives."""

    def __init__(self, index_dir: Path) -> None:
        index_dir.parent.mkdir(parents=True, exist_ok=True)
        clean_stale_builds(index_dir)
        self.path = Path(tempfile.mkdtemp(prefix=f".{index_dir.name}.build-", dir=index_dir.parent))
        self._lock: IO[bytes] = (self.path / _LOCK).open("wb")
        fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        self.index_dir = index_dir

    def commit(self, manifest: dict[str, Any]) -> None:
        """Write the manifest (last: a directory without one was never finished) and swap."""
        (self.path / "README.md").write_text(README, encoding="utf-8")
        manifest["files"] = checksums(self.path)
        text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
        (self.path / "manifest.json").write_text(text, encoding="utf-8")
        (self.path / _LOCK).unlink()
        _swap(self.path, self.index_dir)

    def close(self) -> None:
        """Release the lock and remove the directory if it was not committed."""
        self._lock.close()
        shutil.rmtree(self.path, ignore_errors=True)


def clean_stale_builds(index_dir: Path) -> list[Path]:
    """Remove `.index.build-*` directories that no live build holds; returns them."""
    removed = []
    for path in index_dir.parent.glob(f".{index_dir.name}.build-*"):
        if _held(path / _LOCK):
            continue
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _held(lock: Path) -> bool:
    try:
        with lock.open("rb") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return False
    except BlockingIOError:
        return True
    except OSError:  # no lock file: a build that died before taking it, or an old one
        return False


def _swap(new: Path, target: Path) -> None:
    """Replace `target` by `new` with two renames; `recover` undoes a crash between them."""
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    new.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def recover(index_dir: Path) -> None:
    """Put back the previous index if a build died between its two renames."""
    old = index_dir.with_name(f".{index_dir.name}.old")
    if not (index_dir / "manifest.json").exists() and (old / "manifest.json").exists():
        shutil.rmtree(index_dir, ignore_errors=True)
        old.rename(index_dir)
