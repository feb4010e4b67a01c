"""The corpus manifest: every broken file gets an error that names it."""

import json
import shutil

import pytest

from councilqa.corpus import load_reports, remove_report, sha256_file
from councilqa.errors import CorpusError

from .conftest import CORPUS


@pytest.fixture()
def corpus(tmp_path):
    """A copy of the real corpus that a test may break."""
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


def _manifest(corpus):
    return json.loads((corpus / "manifest.json").read_text())


def _write(corpus, manifest):
    (corpus / "manifest.json").write_text(json.dumps(manifest))


def test_real_manifest_matches_files():
    reports = load_reports(CORPUS)
    assert len(reports) == 5
    for report in reports:
        assert report.sha256 == sha256_file(CORPUS / report.source)
        assert report.title and report.publisher and 2000 < report.year < 2030


def test_corpus_files_are_the_shared_ones_byte_for_byte():
    shared = CORPUS.parents[1] / "shared" / "corpus"
    if not shared.is_dir():
        pytest.skip("../shared/corpus is not beside this checkout")
    for path in shared.glob("*.txt"):
        assert (CORPUS / path.name).read_bytes() == path.read_bytes()


def test_file_not_utf8(corpus):
    (corpus / "005_bad.txt").write_bytes(b"caf\xe9 council\n")
    manifest = _manifest(corpus)
    manifest["reports"].append(
        {
            "source": "005_bad.txt",
            "title": "Bad",
            "publisher": "X",
            "year": 2020,
            "sha256": sha256_file(corpus / "005_bad.txt"),
        }
    )
    _write(corpus, manifest)
    load_reports(corpus)  # the manifest is consistent: extraction names the bad byte
    from councilqa.sources import extract

    with pytest.raises(
        CorpusError, match=r"005_bad.txt is not UTF-8 text: invalid byte 0xe9 at offset 3"
    ):
        extract(corpus / "005_bad.txt")


def test_entry_without_file(corpus):
    manifest = _manifest(corpus)
    manifest["reports"].append(
        {"source": "missing.txt", "title": "M", "publisher": "X", "year": 2020, "sha256": "0" * 64}
    )
    _write(corpus, manifest)
    with pytest.raises(CorpusError, match=r"missing.txt is listed in the manifest but does not"):
        load_reports(corpus)


def test_file_without_entry(corpus):
    (corpus / "new.txt").write_text("A new report", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"new.txt has no entry"):
        load_reports(corpus)


def test_changed_file(corpus):
    path = next(corpus.glob("000_*.txt"))
    path.write_text(path.read_text(encoding="utf-8") + "\nextra", encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"{path.name} has sha256"):
        load_reports(corpus)


def test_broken_manifest(corpus):
    (corpus / "manifest.json").write_text("{not json")
    with pytest.raises(CorpusError, match="not a valid manifest"):
        load_reports(corpus)


def test_manifest_refuses_paths(corpus):
    manifest = _manifest(corpus)
    manifest["reports"][0]["source"] = "../README.md"
    _write(corpus, manifest)
    with pytest.raises(CorpusError, match="not a plain file name"):
        load_reports(corpus)


def test_remove_unknown_report_lists_the_known(corpus):
    from councilqa.errors import NotFoundError

    with pytest.raises(NotFoundError, match="no report 'nope.txt'.*000_c784534927fe7cd5.txt"):
        remove_report(corpus, "nope.txt")
