"""The command line: readable output, JSON output, and errors without tracebacks."""

import json
import subprocess
import sys

import pytest

from councilqa import cli
from councilqa.config import get_settings


@pytest.fixture()
def env(settings, built_index, monkeypatch):
    monkeypatch.setenv("COUNCILQA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("COUNCILQA_CORPUS_DIR", str(settings.corpus_dir))
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_search_readable(env, capsys):
    assert cli.main(["search", "Liverpool energy company selling cheaper gas", "--top-k", "2"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("[1] Liverpool City Council — ")
    assert "000_c784534927fe7cd5.txt [" in out and "[2] " in out


def test_search_json_and_filters(env, capsys):
    assert cli.main(["search", "housing", "--council", "Lambeth", "--json", "--top-k", "3"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert len(body["passages"]) == 3
    assert all("London Borough of Lambeth" in p["councils"] for p in body["passages"])


def test_ask_prints_answer_and_cited_passages(env, capsys):
    assert cli.main(["ask", "Which councils run municipal energy companies?"]) == 0
    out = capsys.readouterr().out
    assert "Liverpool City Council" in out and "[1]" in out


def test_index_if_stale_is_a_no_op_when_current(env, capsys):
    assert cli.main(["index", "--if-stale"]) == 0
    assert "is current" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["search", "   "], "query is empty"),
        (["search", "x", "--mode", "bm25", "--section", ""], "unknown section ''"),
        (["search", "housing", "--council", "Atlantis"], "unknown council 'Atlantis'"),
        (["search", "housing", "--source", "nope.txt"], "unknown source 'nope.txt'"),
    ],
)
def test_errors_are_messages(env, capsys, argv, message):
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("councilqa: error: ") and message in err and "Traceback" not in err


def test_missing_index_is_a_message(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("COUNCILQA_INDEX_DIR", str(tmp_path / "none"))
    get_settings.cache_clear()
    try:
        assert cli.main(["search", "housing"]) == 2
    finally:
        get_settings.cache_clear()
    assert "no index in" in capsys.readouterr().err


def test_bad_setting_is_a_message(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "councilqa.cli", "search", "x"],
        capture_output=True,
        text=True,
        env={"COUNCILQA_CHUNK_TOKENS": "lots", "PATH": ""},
        timeout=60,
    )
    assert result.returncode == 2
    assert "invalid setting" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["0", "500", "many", "-1"])
def test_bad_top_k_is_one_short_message(capsys, value):
    with pytest.raises(SystemExit) as exc:
        cli.main(["search", "x", "--top-k", value])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert "is not a whole number from 1 to 50" in err and "49" not in err.split("--top-k")[-1]


def test_eval_help_describes_every_option(capsys):
    with pytest.raises(SystemExit):
        cli.main(["eval", "--help"])
    out = capsys.readouterr().out
    for option in ("--questions", "--top-k", "--mode", "--baseline", "--split", "--out"):
        line = next(line for line in out.splitlines() if line.strip().startswith(option))
        assert len(line.split(maxsplit=2)) >= 2, line  # a description follows the option
