"""Shared fixtures: the real corpus, the real bundled model, one index built per session."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """Settings pointing at the real corpus and a session-private index directory."""
    from councilqa.config import Settings

    return Settings(corpus_dir=CORPUS, index_dir=tmp_path_factory.mktemp("idx") / "index")


@pytest.fixture(scope="session")
def embedder(settings):
    """The bundled all-MiniLM-L6-v2, loaded once."""
    from councilqa.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.model_name)


@pytest.fixture(scope="session")
def built_index(settings, embedder):
    """The index of the real corpus, built once per test session; returns its manifest."""
    from councilqa.cli import build_config
    from councilqa.index import build_index

    return build_index(settings.corpus_dir, settings.index_dir, build_config(settings), embedder)


@pytest.fixture(scope="session")
def searcher(settings, embedder, built_index):
    """A Searcher over the session index, sharing the loaded model."""
    from councilqa.index import load_index
    from councilqa.retrieval import Searcher

    return Searcher(load_index(settings.index_dir), embedder, settings.search_params())


@pytest.fixture(scope="session")
def client(settings, searcher):
    """A TestClient of the app, with the session searcher and no LLM configured."""
    from fastapi.testclient import TestClient

    from councilqa.api import create_app

    with TestClient(create_app(settings, searcher)) as test_client:
        yield test_client


def source_text(source: str) -> str:
    """The decoded text of a corpus file."""
    return (CORPUS / source).read_text(encoding="utf-8")
