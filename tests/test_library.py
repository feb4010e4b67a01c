"""Adding and removing reports: incremental indexing equals a full build, only changed
chunks are embedded, bad files are refused with the reason and lose nothing (plumbing:
the fake embedder; the real PDF/HTML/DOCX extractors)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from councilqa import cli, library
from councilqa.config import build_config, get_settings
from councilqa.corpus import read_manifest
from councilqa.errors import CorpusError, SourceError
from councilqa.service import open_service

from .conftest import CORPUS, FakeEmbedder, make_settings
from .test_sources import BAD_FILES

QUESTIONS = [
    "Which councils run energy companies?",
    "apprenticeships in Southwark",
    "co-operative housing",
    "recycling food waste",
]


def _results(settings):
    service = open_service(settings, FakeEmbedder())
    return [
        [
            (h.initiative.id, h.passage.start, h.passage.end, round(h.score, 9))
            for h in service.searcher.search(q, 10, "hybrid")
        ]
        for q in QUESTIONS
    ]


@pytest.fixture()
def empty(tmp_path):
    """Settings for an empty corpus and no index yet."""
    (tmp_path / "corpus").mkdir()
    return make_settings(tmp_path / "corpus", tmp_path / "index")


@pytest.fixture()
def copied(tmp_path, fake_settings):
    """Settings for private copies of the real corpus and the fake-embedded index."""
    settings = make_settings(tmp_path / "corpus", tmp_path / "index")
    shutil.copytree(CORPUS, settings.corpus_dir)
    shutil.copytree(fake_settings.index_dir, settings.index_dir)
    return settings


def _library_report(path):
    """A one-initiative Markdown report the corpus does not hold yet."""
    body = "Leeds City Council opened a new library with study space and a cafe in 2020. " * 5
    path.write_text(f"# Libraries\n\n## A new library\n\n{body}\n")
    return path


def _add(settings, paths, embedder=None, **overrides):
    return library.add_files(
        settings.corpus_dir,
        settings.index_dir,
        build_config(settings),
        embedder or FakeEmbedder(),
        paths,
        overrides,
        lambda m: None,
    )


def test_one_by_one_equals_all_at_once(empty, fake_settings):
    embedder = FakeEmbedder()
    for path in sorted(CORPUS.glob("*.txt")):
        done = _add(empty, [path], embedder)
        assert [d.action for d in done] == ["add"]
    one_by_one = open_service(empty, FakeEmbedder()).catalog
    at_once = open_service(fake_settings, FakeEmbedder()).catalog
    assert one_by_one.chunk_ids() == at_once.chunk_ids()
    assert np.array_equal(
        np.load(empty.index_dir / "vectors.npy"), np.load(fake_settings.index_dir / "vectors.npy")
    )
    assert _results(empty) == _results(fake_settings)
    # Each add embedded its own report's chunks, plus chunks of earlier reports whose text
    # changed because council names are resolved across reports; never everything again.
    assert sum(embedder.calls) < 2 * at_once.chunk_count


def test_same_file_again_is_skipped_and_embeds_nothing(tmp_path, copied):
    settings = copied
    embedder = FakeEmbedder()
    done = _add(settings, [next(CORPUS.glob("000_*.txt"))], embedder)
    assert [d.action for d in done] == ["skip"] and embedder.calls == []


def test_a_changed_report_embeds_only_what_changed(tmp_path, copied):
    settings = copied
    changed = tmp_path / "000_c784534927fe7cd5.txt"
    text = (CORPUS / changed.name).read_text(encoding="utf-8")
    changed.write_text(text.replace("the Liverpool LECCy", "the Liverpool Leccy"), encoding="utf-8")
    embedder = FakeEmbedder()
    assert [d.action for d in _add(settings, [changed], embedder)] == ["replace"]
    from councilqa.store import read_manifest as index_manifest

    embedded = index_manifest(settings.index_dir)["embedded"]
    assert embedded["new"] == sum(embedder.calls) == 1  # the one chunk holding the phrase
    assert embedded["by_report"] == {changed.name: 1} and embedded["unchanged_reports"] == {}
    hits = open_service(settings, FakeEmbedder()).searcher.search("Liverpool Leccy", 3, "bm25")
    assert "Liverpool Leccy" in hits[0].passage.text


def test_remove_embeds_nothing(tmp_path, copied):
    settings = copied
    embedder = FakeEmbedder()
    source = "002_974d198bda548210.txt"
    library.remove(
        settings.corpus_dir,
        settings.index_dir,
        build_config(settings),
        embedder,
        source,
        lambda m: None,
    )
    catalog = open_service(settings, FakeEmbedder()).catalog
    assert source not in {r.source for r in catalog.reports} and embedder.calls == []
    assert not (settings.corpus_dir / source).exists()
    assert source not in {r.source for r in read_manifest(settings.corpus_dir)}


def test_a_directory_of_formats_is_added_with_metadata(tmp_path, empty):
    from .docmaker import make_docx, make_html, make_pdf

    seed = (CORPUS / "003_1c9611eba46e20b9.txt").read_text(encoding="utf-8")[:12000]
    folder = tmp_path / "incoming"
    folder.mkdir()
    make_pdf(seed, folder / "coop.pdf", title="Co-operative Case Studies 2020", author="CCIN")
    make_html(seed, folder / "coop.html", title="Co-op on the web", author="CCIN")
    make_docx(seed, folder / "coop.docx", title="Co-op in Word", author="CCIN")
    (folder / "notes.xyz").write_text("ignored: not a supported type")
    done = _add(empty, [folder], year=2021)
    assert sorted(d.path.name for d in done) == ["coop.docx", "coop.html", "coop.pdf"]
    entries = {r.source: r for r in read_manifest(empty.corpus_dir)}
    assert entries["coop.pdf"].title == "Co-operative Case Studies 2020"
    assert entries["coop.pdf"].format == "pdf" and entries["coop.pdf"].pages >= 2
    assert entries["coop.pdf"].publisher == "CCIN" and entries["coop.pdf"].year == 2021
    service = open_service(empty, FakeEmbedder())
    hit = service.searcher.search("Lambeth", 5, "bm25", None)[0]
    assert (
        hit.passage.text
        == service.catalog.text(hit.passage.source)[hit.passage.start : hit.passage.end]
    )
    paged = [
        h for h in service.searcher.search("council", 20, "bm25") if h.passage.source == "coop.pdf"
    ]
    assert paged and all(h.passage.pages and h.passage.pages[0] >= 1 for h in paged)


def _listing(folder):
    return sorted(
        (p.name, p.stat().st_size) for p in folder.iterdir() if not p.name.startswith(".")
    )


@pytest.mark.parametrize(("name", "make", "reason"), BAD_FILES, ids=[b[0] for b in BAD_FILES])
def test_bad_files_are_refused_and_lose_nothing(
    tmp_path, copied, monkeypatch, capsys, name, make, reason
):
    settings = copied
    before = (settings.index_dir / "manifest.json").read_bytes()
    corpus_before = _listing(settings.corpus_dir)
    path = tmp_path / name
    make(path)
    monkeypatch.setenv("COUNCILQA_CORPUS_DIR", str(settings.corpus_dir))
    monkeypatch.setenv("COUNCILQA_INDEX_DIR", str(settings.index_dir))
    get_settings.cache_clear()
    try:
        assert cli.main(["add", str(path)]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith("councilqa: error: ") and name in err and reason in err
    assert (settings.index_dir / "manifest.json").read_bytes() == before
    assert _listing(settings.corpus_dir) == corpus_before
    open_service(settings, FakeEmbedder())  # the previous index still opens


def test_a_failed_build_puts_the_corpus_back(tmp_path, copied):
    settings = copied
    manifest = (settings.corpus_dir / "manifest.json").read_bytes()
    new = _library_report(tmp_path / "extra.md")

    class Failing(FakeEmbedder):
        def embed(self, texts):
            raise SourceError("the embedder failed")

    with pytest.raises(SourceError):
        _add(settings, [new], Failing())
    assert (settings.corpus_dir / "manifest.json").read_bytes() == manifest
    assert not (settings.corpus_dir / "extra.md").exists()
    assert (
        not list(tmp_path.glob(".index.build-*")) and not (settings.corpus_dir / ".aside").exists()
    )


def test_missing_path_is_named(empty):
    with pytest.raises(CorpusError, match="nowhere.pdf does not exist"):
        _add(empty, [empty.corpus_dir / "nowhere.pdf"])


KILLED_ADD = """
import sys, time
from pathlib import Path
sys.path.insert(0, {root!r})
from tests.conftest import FakeEmbedder, make_settings
from councilqa import build, library
from councilqa.config import build_config

real = build.write_catalog
def slow(*args, **kwargs):  # the build is killed while it writes its temporary folder
    real(*args, **kwargs)
    time.sleep(60)
build.write_catalog = slow
settings = make_settings(Path({corpus!r}), Path({index!r}))
library.add_files(settings.corpus_dir, settings.index_dir, build_config(settings),
                  FakeEmbedder(), [Path({new!r})], {{}}, print)
"""


def test_a_killed_add_leaves_the_index_serving_and_no_stray_folder(tmp_path, copied):
    import os
    import signal
    import subprocess
    import sys
    import time

    from councilqa import store

    from .conftest import ROOT

    settings = copied
    before = (settings.index_dir / "manifest.json").read_bytes()
    new = _library_report(tmp_path / "extra.md")
    code = KILLED_ADD.format(
        root=str(ROOT), corpus=str(settings.corpus_dir), index=str(settings.index_dir), new=str(new)
    )
    proc = subprocess.Popen([sys.executable, "-c", code])
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".index.build-*/catalog.sqlite")) and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert list(tmp_path.glob(".index.build-*")), "the build was not caught mid-write"
    assert (settings.index_dir / "manifest.json").read_bytes() == before
    open_service(settings, FakeEmbedder())  # the previous index still serves
    assert store.clean_stale_builds(settings.index_dir)  # the next build or start removes it
    assert not list(tmp_path.glob(".index.build-*"))
