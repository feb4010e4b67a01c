"""Chunk rows: metadata filters as posting lists (field value -> sorted rows), and the k best
of scored rows with a stable tie-break.

Built once with the index (one Python pass over the records), saved as two `.npy` arrays per
field (rows grouped by value, and each value's offset into them) beside a JSON vocabulary,
and opened memory-mapped. At query time a filter is a few slices and numpy set operations:
no loop over chunks or initiatives. Values within a field are OR-ed (any listed council),
fields are AND-ed. It holds no matching rules: the caller resolves councils to place keys and
sources and sections to exact names before asking.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..models import Filters
from . import ChunkRecord, load_mapped

FIELDS = ("councils", "sources", "sections")
_VOCABULARY = "filters.json"


def build_filters(directory: Path, records: Sequence[ChunkRecord]) -> dict[str, int]:
    """Write the value -> rows arrays of every field; return how many values each has."""
    counts = {}
    vocabulary = {}
    for field in FIELDS:
        postings: dict[str, list[int]] = {}
        for row, record in enumerate(records):
            for value in _values(record, field):
                postings.setdefault(value, []).append(row)
        values = sorted(postings)
        sizes = np.array([len(postings[v]) for v in values], dtype=np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        rows = np.array([r for v in values for r in postings[v]], dtype=np.int32)
        np.save(directory / f"filter_{field}_rows.npy", rows)
        np.save(directory / f"filter_{field}_offsets.npy", offsets)
        vocabulary[field] = values
        counts[field] = len(values)
    (directory / _VOCABULARY).write_text(json.dumps(vocabulary), encoding="utf-8")
    return counts


def _values(record: ChunkRecord, field: str) -> Iterable[str]:
    if field == "councils":
        return set(record.councils)  # a council named twice is one posting
    return (record.source if field == "sources" else record.section,)


@dataclass(frozen=True)
class FieldPostings:
    """One field's posting lists: rows[offsets[i]:offsets[i + 1]] hold value i's rows."""

    position: dict[str, int]
    rows: np.ndarray
    offsets: np.ndarray

    def rows_of(self, values: Sequence[str]) -> np.ndarray:
        """Sorted unique rows holding any of `values`; unknown values match nothing."""
        found = [self.position[v] for v in values if v in self.position]
        parts = [self.rows[self.offsets[i] : self.offsets[i + 1]] for i in found]
        if len(parts) == 1:
            return np.asarray(parts[0])  # already sorted and unique
        if not parts:
            return np.zeros(0, dtype=np.int32)
        return np.unique(np.concatenate(parts))


@dataclass(frozen=True)
class RowFilter:
    """Turns `Filters` into the set of chunk rows that pass them."""

    size: int
    fields: dict[str, FieldPostings]

    def allowed(self, filters: Filters) -> np.ndarray | None:
        """Sorted rows passing `filters`, or None when they do not restrict (all rows)."""
        wanted = [(f, getattr(filters, f)) for f in FIELDS if getattr(filters, f)]
        if not wanted:
            return None
        rows = self.fields[wanted[0][0]].rows_of(wanted[0][1])
        for field, values in wanted[1:]:
            if len(rows) == 0:
                break
            rows = _intersect(rows, self.fields[field].rows_of(values), self.size)
        return rows

    def mask(self, rows: np.ndarray) -> np.ndarray:
        """A boolean mask over all rows, true at `rows`."""
        mask = np.zeros(self.size, dtype=bool)
        mask[rows] = True
        return mask


def _intersect(a: np.ndarray, b: np.ndarray, size: int) -> np.ndarray:
    """Sorted rows in both sorted arrays, by a mask: linear, unlike intersect1d's sort."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    mask = np.zeros(size, dtype=bool)
    mask[small] = True
    return large[mask[large]]


def open_filters(directory: Path, size: int) -> RowFilter:
    """Open the posting lists written by `build_filters`, memory-mapped."""
    vocabulary = json.loads((directory / _VOCABULARY).read_text(encoding="utf-8"))
    fields = {
        field: FieldPostings(
            position={v: i for i, v in enumerate(vocabulary[field])},
            rows=load_mapped(directory / f"filter_{field}_rows.npy"),
            offsets=load_mapped(directory / f"filter_{field}_offsets.npy"),
        )
        for field in FIELDS
    }
    return RowFilter(size=size, fields=fields)


def best(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k best (rows, scores), best first; equal scores in row order, so ties are stable."""
    if len(rows) > k:
        # Keep everything tied with the k-th score so the row tie-break sees all of them.
        kth = np.partition(scores, len(scores) - k)[len(scores) - k]
        keep = scores >= kth
        rows, scores = rows[keep], scores[keep]
    order = np.lexsort((rows, -scores))[:k]
    return rows[order], scores[order]
