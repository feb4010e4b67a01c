"""The catalogue's memos: rows read from SQLite once, then from memory, bounded."""

from __future__ import annotations

import sqlite3

from councilqa.catalog import Memo


def _reader(calls: list[list[str]]):
    def read(ids: list[str]) -> dict[str, str]:
        calls.append(list(ids))
        return {i: i.upper() for i in ids if not i.startswith("?")}  # "?…" ids do not exist

    return read


def test_memo_reads_only_what_it_has_not_seen():
    calls: list[list[str]] = []
    memo = Memo(10, _reader(calls))
    assert memo.get(["a", "b", "a"]) == {"a": "A", "b": "B"}
    assert memo.get(["b", "c", "?x"]) == {"b": "B", "c": "C"}
    assert calls == [["a", "b"], ["c", "?x"]]  # duplicates read once; "b" came from memory


def test_memo_forgets_the_oldest_rows_beyond_its_size():
    calls: list[list[str]] = []
    memo = Memo(3, _reader(calls))
    memo.get(["a", "b", "c"])
    memo.get(["d"])  # "a" goes
    calls.clear()
    assert memo.get(["b", "c", "d"]) == {"b": "B", "c": "C", "d": "D"} and calls == []
    assert memo.get(["a"]) == {"a": "A"} and calls == [["a"]]


def test_catalogue_rows_from_memory_equal_sqlite(service):
    """Every chunk and initiative, asked for twice (SQLite, then memory), is what the
    tables hold."""
    catalog = service.catalog
    db = sqlite3.connect(catalog.path)
    table = dict(db.execute("SELECT id, initiative_id FROM chunks"))
    ids = list(table)
    assert catalog.initiative_ids(ids) == table == catalog.initiative_ids(ids)
    chunks = catalog.chunks(ids[:50])
    assert chunks == catalog.chunks(ids[:50])
    assert all(c.initiative_id == table[c.id] for c in chunks.values())
    initiative_ids = list(dict.fromkeys(table.values()))
    first = catalog.initiatives(initiative_ids)
    assert first == catalog.initiatives(initiative_ids) and set(first) == set(initiative_ids)
    assert catalog.initiative_ids(["no such chunk"]) == {}


def test_memo_is_right_under_threads_evicting_each_other():
    """Eight threads asking for overlapping ids through a memo far smaller than what they
    ask for (so rows are evicted while others read): every answer is still right."""
    import random
    import threading

    memo = Memo(5, lambda ids: {i: i.upper() for i in ids})
    wrong: list[object] = []

    def ask(seed: int) -> None:
        rng = random.Random(seed)
        for _ in range(2000):
            ids = [f"id{rng.randint(0, 20)}" for _ in range(4)]
            try:
                if memo.get(ids) != {i: i.upper() for i in ids}:
                    wrong.append(ids)
            except Exception as exc:  # a KeyError from a row evicted mid-read
                wrong.append(exc)

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []
