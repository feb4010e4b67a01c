"""The catalogue: reports, their extracted texts, initiatives and chunk places, in SQLite.

It is the one source of truth for report text: search passages, the reader route,
/initiatives and the eval all read text from here, never from corpus/, so editing corpus/
while serving changes nothing a client sees until a rebuild. Chunk text is not stored: a
chunk is (initiative, start, end) into its report's text, read for the top k only. SQLite
(standard library) keeps a million chunks on disk instead of in Python objects.
"""

from __future__ import annotations

import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Generic, TypeVar

from .errors import IndexLoadError, NotFoundError
from .models import Chunk, Initiative, Report, Span
from .sources import page_range

FILE = "catalog.sqlite"
_SCHEMA = """
CREATE TABLE reports (source TEXT PRIMARY KEY, title TEXT, publisher TEXT, year INTEGER,
  sha256 TEXT, format TEXT, pages INTEGER, text TEXT, page_starts TEXT);
CREATE TABLE initiatives (id TEXT PRIMARY KEY, source TEXT, title TEXT, councils TEXT,
  section TEXT, spans TEXT, contact TEXT, pages TEXT);
CREATE TABLE chunks (row INTEGER PRIMARY KEY, id TEXT UNIQUE, initiative_id TEXT,
  source TEXT, start INTEGER, "end" INTEGER, text_hash TEXT);
CREATE INDEX chunks_initiative ON chunks (initiative_id);
CREATE TABLE councils (name TEXT PRIMARY KEY, initiatives INTEGER);
CREATE TABLE sections (name TEXT PRIMARY KEY);
CREATE TABLE terms (term TEXT PRIMARY KEY, df INTEGER) WITHOUT ROWID;
"""


def write_catalog(
    path: Path,
    reports: Sequence[tuple[Report, str, tuple[int, ...]]],
    initiatives: Iterable[Initiative],
    chunks: Iterable[tuple[Chunk, str]],
    terms: Mapping[str, int] | None = None,
) -> None:
    """Write a new catalogue: (report, text, page starts), initiatives, (chunk, text hash),
    and how many initiatives each term occurs in (for query-time term statistics)."""
    initiatives = list(initiatives)
    db = sqlite3.connect(path)
    with db:
        db.executescript(_SCHEMA)
        db.executemany("INSERT INTO councils VALUES (?,?)", _council_counts(initiatives).items())
        db.executemany("INSERT INTO terms VALUES (?,?)", (terms or {}).items())
        db.executemany(
            "INSERT INTO sections VALUES (?)",
            sorted({(i.section,) for i in initiatives if i.section}),
        )
        db.executemany(
            "INSERT INTO reports VALUES (?,?,?,?,?,?,?,?,?)",
            ((*_report_row(r), text, json.dumps(pages)) for r, text, pages in reports),
        )
        db.executemany(
            "INSERT INTO initiatives VALUES (?,?,?,?,?,?,?,?)", map(_initiative_row, initiatives)
        )
        db.executemany(
            "INSERT INTO chunks VALUES (?,?,?,?,?,?,?)",
            (
                (row, c.id, c.initiative_id, c.source, c.start, c.end, h)
                for row, (c, h) in enumerate(chunks)
            ),
        )
    db.close()


def _council_counts(initiatives: Iterable[Initiative]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for item in initiatives:
        for council in item.councils:
            counts[council] = counts.get(council, 0) + 1
    return dict(sorted(counts.items()))


def _report_row(r: Report) -> tuple:
    return (r.source, r.title, r.publisher, r.year, r.sha256, r.format, r.pages)


def _initiative_row(i: Initiative) -> tuple:
    spans = json.dumps([[s.start, s.end] for s in i.spans])
    pages = json.dumps(list(i.pages) if i.pages else None)
    return (i.id, i.source, i.title, json.dumps(i.councils), i.section, spans, i.contact, pages)


def _initiative(row: sqlite3.Row) -> Initiative:
    pages = json.loads(row["pages"])
    return Initiative(
        id=row["id"],
        source=row["source"],
        title=row["title"],
        councils=tuple(json.loads(row["councils"])),
        section=row["section"],
        spans=tuple(Span(s, e) for s, e in json.loads(row["spans"])),
        contact=row["contact"],
        pages=(int(pages[0]), int(pages[1])) if pages else None,
    )


CONNECTIONS = 4  # concurrent readers; a fifth request waits for a free one
CHUNKS_REMEMBERED = 100_000  # chunk rows kept in memory (about 40 MB at most)
INITIATIVES_REMEMBERED = 20_000  # initiatives kept in memory (about 20 MB at most)
Row = TypeVar("Row")


class Memo(Generic[Row]):
    """Rows by id, read from SQLite once and then kept, up to `size` (the oldest go first).

    The catalogue never changes once written, so nothing kept goes stale. A search looks
    up about 150 chunk ids and 10 initiatives, mostly the same ones query after query:
    from memory that is a few microseconds, against a third of a millisecond for the
    three SQLite round trips (a fifth of a search's time after the embedding)."""

    def __init__(self, size: int, read: Callable[[list[str]], dict[str, Row]]) -> None:
        self.size, self._read = size, read
        self._rows: dict[str, Row] = {}
        self._lock = threading.Lock()  # evicting iterates the dict: one writer at a time

    def get(self, ids: Sequence[str]) -> dict[str, Row]:
        """The rows of `ids` that exist, by id."""
        rows = self._rows
        # One get per id: another thread may evict a row between an `in` and an index.
        found = {i: row for i in ids if (row := rows.get(i)) is not None}
        missing = [i for i in dict.fromkeys(ids) if i not in found]
        if missing:
            read = self._read(missing)
            with self._lock:
                while rows and len(rows) + len(read) > self.size:
                    del rows[next(iter(rows))]
                rows.update(read)
            found |= read
        return found


def _connect(path: Path) -> sqlite3.Connection:
    """A read-only connection to an immutable catalogue, usable from any thread."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    conn.row_factory = sqlite3.Row
    return conn


class Catalog:
    """Read-only access to an index's catalogue; safe to share between threads.

    A few connections, all opened at once, each used by one thread at a time (requests run
    in a thread pool, and SQLite reads in parallel without the GIL): they stay valid after
    a newer index is swapped in and this one's files are removed (POSIX keeps an open
    file), so requests in flight finish on the index they started with."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise IndexLoadError(f"{path} is missing: run `councilqa index` to rebuild")
        self.path = path
        self._pool: queue.SimpleQueue[sqlite3.Connection] = queue.SimpleQueue()
        for _ in range(CONNECTIONS):
            self._pool.put(_connect(path))
        self._text = lru_cache(maxsize=32)(self._read_text)
        self._chunk_rows = Memo(CHUNKS_REMEMBERED, self._read_chunk_rows)
        self._initiatives = Memo(INITIATIVES_REMEMBERED, self._read_initiatives)
        try:
            self.reports = tuple(self._reports())
            self._by_source = {r.source: r for r in self.reports}
            self.initiative_count = self._query("SELECT count(*) FROM initiatives")[0][0]
            self.chunk_count = self._query("SELECT count(*) FROM chunks")[0][0]
        except sqlite3.Error as exc:
            raise IndexLoadError(f"{path} is corrupted ({exc}): rebuild the index") from exc

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
        conn = self._pool.get()  # waits while every connection is in use
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            self._pool.put(conn)

    def _where_in(self, select: str, column: str, values: Sequence[str]) -> list[sqlite3.Row]:
        """`select` rows whose `column` is one of `values` (bound parameters, never text)."""
        marks = ",".join("?" * len(values))
        return self._query(f"{select} WHERE {column} IN ({marks})", list(values))

    def _reports(self) -> Iterator[Report]:
        rows = self._query(
            "SELECT source, title, publisher, year, sha256, format, pages FROM reports "
            "ORDER BY source"
        )
        for row in rows:
            yield Report(*row)

    def iter_initiatives(self) -> Iterator[Initiative]:
        """Every initiative, in report order."""
        last = 0  # in batches, the connection back in the pool between them (for others)
        while batch := self._query(
            "SELECT rowid, * FROM initiatives WHERE rowid > ? ORDER BY rowid LIMIT 1000", (last,)
        ):
            last = batch[-1]["rowid"]
            yield from map(_initiative, batch)

    def report(self, source: str) -> Report:
        """One report's entry; NotFoundError naming where the valid ones are listed."""
        found = self._by_source.get(source)  # a dict: chunks() asks once per chunk
        if found is None:
            raise NotFoundError(f"no report {source[:200]!r}; see GET /documents")
        return found

    def initiative(self, initiative_id: str) -> Initiative:
        """One initiative by id; NotFoundError if the index has none with it."""
        found = self.initiatives([initiative_id])
        if not found:
            raise NotFoundError(f"no initiative with id {initiative_id[:100]!r}")
        return found[initiative_id]

    def initiatives(self, ids: Sequence[str]) -> dict[str, Initiative]:
        """Initiatives by id; unknown ids are left out."""
        return self._initiatives.get(ids)

    def _read_initiatives(self, ids: Sequence[str]) -> dict[str, Initiative]:
        rows = self._where_in("SELECT * FROM initiatives", "id", ids)
        return {row["id"]: _initiative(row) for row in rows}

    def text(self, source: str) -> str:
        """A report's extracted text: what every offset and citation refers to."""
        self.report(source)
        return self._text(source)[0]

    def page_starts(self, source: str) -> tuple[int, ...]:
        """Where each page of the report starts in its text; () when it has no pages."""
        self.report(source)
        return self._text(source)[1]

    def page_range(self, source: str, start: int, end: int) -> tuple[int, int] | None:
        """First and last page of text[start:end], or None for unpaged reports."""
        return page_range(self.page_starts(source), start, end)

    def _read_text(self, source: str) -> tuple[str, tuple[int, ...]]:
        row = self._query("SELECT text, page_starts FROM reports WHERE source = ?", (source,))[0]
        return row[0], tuple(json.loads(row[1]))

    def chunks(self, chunk_ids: Sequence[str]) -> dict[str, Chunk]:
        """Chunks by id (text filled from the report's text); unknown ids are left out."""
        found = {}
        for cid, (iid, source, start, end) in self._chunk_rows.get(chunk_ids).items():
            text = self.text(source)[start:end]
            found[cid] = Chunk(cid, iid, source, start, end, text, text)
        return found

    def initiative_ids(self, chunk_ids: Sequence[str]) -> dict[str, str]:
        """Chunk id -> its initiative's id; unknown ids are left out. Reads no text, unlike
        `chunks`, which loads the whole text of every report the chunks are in."""
        return {cid: row[0] for cid, row in self._chunk_rows.get(chunk_ids).items()}

    def _read_chunk_rows(self, chunk_ids: Sequence[str]) -> dict[str, tuple[str, str, int, int]]:
        """Chunk id -> (initiative id, source, start, end)."""
        rows = self._where_in(
            'SELECT id, initiative_id, source, start, "end" FROM chunks', "id", chunk_ids
        )
        return {cid: (iid, source, start, end) for cid, iid, source, start, end in rows}

    def text_hashes(self) -> dict[str, int]:
        """Text hash -> chunk row, for reusing vectors of unchanged chunks in a rebuild."""
        return {h: row for row, h in self._query("SELECT row, text_hash FROM chunks")}

    def chunk_ids(self) -> list[str]:
        """Every chunk id in row order."""
        return [r[0] for r in self._query("SELECT id FROM chunks ORDER BY row")]

    def councils(self) -> dict[str, int]:
        """Council name -> how many initiatives name it, sorted by name."""
        return {
            r[0]: r[1] for r in self._query("SELECT name, initiatives FROM councils ORDER BY name")
        }

    def term_counts(self, terms: Sequence[str]) -> dict[str, int]:
        """How many initiatives each of `terms` occurs in (absent terms are left out)."""
        rows = self._where_in("SELECT term, df FROM terms", "term", terms)
        return {r[0]: r[1] for r in rows}

    def initiative_text(self, item: Initiative) -> str:
        """An initiative's title and the text of all its spans (what term statistics read)."""
        return item.full_text(self.text(item.source))

    def initiative_counts(self) -> dict[str, int]:
        """Report source -> how many initiatives it was split into."""
        rows = self._query("SELECT source, count(*) FROM initiatives GROUP BY source")
        return {r[0]: r[1] for r in rows}

    def sections(self) -> list[str]:
        """Every section name, sorted."""
        return [r[0] for r in self._query("SELECT name FROM sections ORDER BY name")]
