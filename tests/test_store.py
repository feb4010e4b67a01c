"""The index directory: manifest, checksums, staleness, atomic rebuilds, stale build
folders and corruption (plumbing: built with the fake embedder)."""

import json
import shutil
from dataclasses import replace

import numpy as np
import pytest

from councilqa import store
from councilqa.build import build_index, expected_manifest, index_status
from councilqa.config import build_config
from councilqa.corpus import load_reports, read_manifest, sha256_file, write_manifest
from councilqa.errors import IndexLoadError
from councilqa.service import open_service

from .conftest import FakeEmbedder


@pytest.fixture()
def index_copy(fake_settings, tmp_path):
    target = tmp_path / "index"
    shutil.copytree(fake_settings.index_dir, target)
    return target


def _open(settings, index_dir):
    return open_service(settings.model_copy(update={"index_dir": index_dir}), FakeEmbedder())


def test_manifest_says_what_built_it(fake_settings):
    index = fake_settings.index_dir
    names = sorted(p.name for p in index.iterdir())
    assert names == [
        "README.md",
        "backend",
        "catalog.sqlite",
        "files",
        "manifest.json",
        "vectors.npy",
    ]
    m = store.read_manifest(index)
    assert m["format_version"] == store.FORMAT_VERSION and m["dimension"] == 64
    assert m["parser_version"] and m["tokenizer"] and m["backend"] == "local"
    assert m["chunker"]["encoding"] == "cl100k_base" and m["chunker"]["chunk_tokens"] == 200
    assert set(m["corpus"]) == {r.source for r in load_reports(fake_settings.corpus_dir)}
    assert m["counts"]["chunks"] == np.load(index / "vectors.npy").shape[0]
    assert {"catalog.sqlite", "vectors.npy"} <= set(m["files"])
    assert all(len(f["sha256"]) == 64 and f["bytes"] > 0 for f in m["files"].values())
    assert {"faiss-cpu", "bm25s", "tiktoken"} <= set(m["versions"])


def test_current_index_is_not_stale(fake_settings):
    config = build_config(fake_settings)
    assert index_status(fake_settings.corpus_dir, fake_settings.index_dir, config) == []


def test_stale_reasons_name_the_change(fake_settings):
    manifest = store.read_manifest(fake_settings.index_dir)
    changed = fake_settings.model_copy(update={"chunk_tokens": 99, "backend": "qdrant"})
    reasons = store.stale_reasons(
        manifest, expected_manifest(build_config(changed), load_reports(changed.corpus_dir))
    )
    assert any(r.startswith("chunker is") and "99" in r for r in reasons)
    assert "backend is 'local' in the index but 'qdrant' in the settings" in reasons
    manifest = dict(manifest, corpus=dict(manifest["corpus"]))
    first = sorted(manifest["corpus"])[0]
    manifest["corpus"][first] = "0" * 64
    manifest["corpus"]["gone.txt"] = "1" * 64
    expected = expected_manifest(build_config(fake_settings), load_reports(changed.corpus_dir))
    reasons = store.stale_reasons(manifest, expected)
    assert f"corpus/{first} changed since the index was built" in reasons
    assert "corpus/gone.txt was removed since the index was built" in reasons


class _Boom(Exception):
    pass


class _FailingEmbedder(FakeEmbedder):
    def embed(self, texts):
        raise _Boom("killed mid-build")


def test_failed_build_leaves_previous_index(fake_settings, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(fake_settings.corpus_dir, corpus)
    index = tmp_path / "index"
    shutil.copytree(fake_settings.index_dir, index)
    text = next(corpus.glob("000_*.txt"))
    assert "the Liverpool LECCy" in text.read_text()
    text.write_text(text.read_text().replace("the Liverpool LECCy", "the Liverpool Leccy"))

    reports = [replace(r, sha256=sha256_file(corpus / r.source)) for r in read_manifest(corpus)]
    write_manifest(corpus, reports)
    before = (index / "manifest.json").read_bytes()
    with pytest.raises(_Boom):  # the changed report's chunks need embedding: it fails
        build_index(corpus, index, build_config(fake_settings), _FailingEmbedder(), lambda m: None)
    assert (index / "manifest.json").read_bytes() == before
    assert _open(fake_settings, index).catalog.chunk_count > 0
    assert not list(tmp_path.glob(".index.build-*"))


def test_crash_between_renames_is_recovered(fake_settings, index_copy):
    old = index_copy.with_name(".index.old")
    index_copy.rename(old)  # as if killed after the first rename of a swap
    store.recover(index_copy)
    assert (index_copy / "manifest.json").exists() and not old.exists()
    _open(fake_settings, index_copy)


def test_stale_build_folders_are_cleaned_unless_held(fake_settings, tmp_path):
    index = tmp_path / "index"
    dead = tmp_path / ".index.build-dead"
    dead.mkdir()
    (dead / "vectors.npy").write_bytes(b"x" * 1000)
    live = store.BuildDir(index)  # cleans `dead`, and holds its own lock
    try:
        assert not dead.exists() and live.path.exists()
        assert store.clean_stale_builds(index) == [] and live.path.exists()
    finally:
        live.close()
    assert not live.path.exists()


def _flip_byte(path):
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "manifest.json").unlink(), "no index in"),
        (lambda d: (d / "manifest.json").write_text("{oops"), "manifest.json is corrupted"),
        (lambda d: (d / "vectors.npy").write_bytes(b"garbage"), "vectors.npy was changed"),
        (lambda d: _flip_byte(d / "catalog.sqlite"), "catalog.sqlite was changed"),
        (lambda d: (d / "catalog.sqlite").unlink(), "catalog.sqlite is missing"),
        (
            lambda d: _flip_byte(next(p for p in (d / "backend").rglob("*") if p.is_file())),
            "was changed or damaged",
        ),
        (
            lambda d: (d / "manifest.json").write_text(json.dumps({"format_version": 0})),
            "not a councilqa index",
        ),
    ],
)
def test_corrupted_index_is_named(fake_settings, index_copy, damage, message):
    damage(index_copy)
    with pytest.raises(IndexLoadError, match=message):
        _open(fake_settings, index_copy)
    config = build_config(fake_settings)
    assert index_status(
        fake_settings.corpus_dir, index_copy, config
    )  # so `index --if-stale` rebuilds


def test_a_new_index_is_picked_up_without_a_restart(tmp_path, fake_settings):
    """The server notices a newer committed index and swaps it in between requests; a
    service already handed to a request keeps working after its files are replaced."""
    import time

    from fastapi.testclient import TestClient

    from councilqa import library
    from councilqa.api import create_app

    from .conftest import copy_corpus, make_settings

    settings = make_settings(copy_corpus(tmp_path / "corpus"), tmp_path / "index")
    settings = settings.model_copy(update={"reload_interval_s": 0.01})
    shutil.copytree(fake_settings.index_dir, settings.index_dir)
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        before = client.get("/health").json()
        old = client.app.state.holder.current()
        body = {"query": "Zephyrenergy", "mode": "bm25"}
        assert client.post("/search", json=body).json()["passages"] == []
        changed = tmp_path / "000_c784534927fe7cd5.txt"
        text = (settings.corpus_dir / changed.name).read_text(encoding="utf-8")
        changed.write_text(
            text.replace("the Liverpool LECCy", "the Liverpool Zephyrenergy"), "utf-8"
        )
        time.sleep(1.1)  # built_at has one-second resolution
        library.add_files(
            settings.corpus_dir,
            settings.index_dir,
            build_config(settings),
            FakeEmbedder(),
            [changed],
            {},
            lambda m: None,
        )
        time.sleep(0.05)
        passages = client.post("/search", json=body).json()["passages"]
        assert passages and "Zephyrenergy" in passages[0]["text"]
        after = client.get("/health").json()
        assert after["built_at"] > before["built_at"] and after["status"] == "ok"
        # The service a request held before the swap still answers from its own files.
        assert old.searcher.search("Liverpool LECCy", 1, "bm25")[0].passage.text


def test_a_damaged_newer_index_is_tried_once_until_a_file_changes(
    fake_settings, index_copy, monkeypatch
):
    """Opening checks every checksum: a newer index that fails is not checked again on
    every reload interval (on a request's time), only once something in it changes; the
    last good index is served meanwhile."""
    import os
    import time

    from councilqa.service import ServiceHolder

    verified = []
    real_verify = store.verify
    monkeypatch.setattr(store, "verify", lambda *a: (verified.append(1), real_verify(*a)))
    settings = fake_settings.model_copy(
        update={"index_dir": index_copy, "reload_interval_s": 0.001}
    )
    holder = ServiceHolder(settings, FakeEmbedder())
    good = holder.current()
    damaged = next(p for p in (index_copy / "backend").rglob("*") if p.is_file())
    original = damaged.read_bytes()
    _flip_byte(damaged)
    later = time.time() + 5
    os.utime(index_copy / "manifest.json", (later, later))  # a newer commit, as it looks
    for _ in range(5):
        time.sleep(0.005)
        assert holder.current() is good
    assert len(verified) == 2 and "changed or damaged" in holder.problem
    damaged.write_bytes(original)  # repaired: its mtime changes
    time.sleep(0.005)
    assert holder.current() is not good and holder.problem == "" and len(verified) == 3
