"""Shared fixtures: the real corpus, the real bundled model and one real index built per
session; a hashing fake embedder and a small fake-embedded index for plumbing tests that
do not judge retrieval (as simonw/llm's EmbedDemo)."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"


class FakeEmbedder:
    """Hashes each word into one of `dimension` buckets: texts sharing words get close
    vectors, deterministically, with no model. For plumbing tests only."""

    def __init__(self, dimension: int = 64) -> None:
        self.dimension = dimension
        self.calls: list[int] = []  # how many texts each embed() call got

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Unit vectors of hashed word counts."""
        self.calls.append(len(texts))
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in text.lower().split():
                out[i, int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dimension] += 1
            out[i] /= np.linalg.norm(out[i]) or 1.0
        return out


def make_settings(corpus_dir: Path, index_dir: Path, **overrides):
    """Settings for a test: its own corpus and index, no reloading delay, no LLM."""
    from councilqa.config import Settings

    return Settings(corpus_dir=corpus_dir, index_dir=index_dir, reload_interval_s=0, **overrides)


def copy_corpus(target: Path) -> Path:
    """A private copy of the real corpus (a test may add, change or remove reports)."""
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def settings(tmp_path_factory):
    """Settings pointing at the real corpus and a session-private index directory."""
    return make_settings(CORPUS, tmp_path_factory.mktemp("idx") / "index")


@pytest.fixture(scope="session")
def embedder(settings):
    """The bundled all-MiniLM-L6-v2, loaded once."""
    from councilqa.embedding import SentenceTransformerEmbedder

    return SentenceTransformerEmbedder(settings.model_name)


@pytest.fixture(scope="session")
def built_index(settings, embedder):
    """The index of the real corpus with the real model, built once; returns its manifest."""
    from councilqa.build import build_index
    from councilqa.config import build_config

    return build_index(
        settings.corpus_dir, settings.index_dir, build_config(settings), embedder, lambda m: None
    )


@pytest.fixture(scope="session")
def service(settings, embedder, built_index):
    """The opened real index (catalogue, backend, searcher, answerer)."""
    from councilqa.service import open_service

    return open_service(settings, embedder)


@pytest.fixture(scope="session")
def searcher(service):
    """The Searcher over the real index, sharing the loaded model."""
    return service.searcher


@pytest.fixture(scope="session")
def client(settings, embedder, built_index):
    """A TestClient of the app over the real index, with no LLM configured."""
    from fastapi.testclient import TestClient

    from councilqa.api import create_app

    with TestClient(create_app(settings, embedder)) as test_client:
        yield test_client


@pytest.fixture(scope="session")
def fake_settings(tmp_path_factory):
    """Settings for an index of the real corpus built with the fake embedder."""
    base = tmp_path_factory.mktemp("fake")
    settings = make_settings(CORPUS, base / "index")
    from councilqa.build import build_index
    from councilqa.config import build_config

    build_index(CORPUS, settings.index_dir, build_config(settings), FakeEmbedder(), lambda m: None)
    return settings


@pytest.fixture(scope="session")
def fake_service(fake_settings):
    """The fake-embedded index opened, for plumbing tests."""
    from councilqa.service import open_service

    return open_service(fake_settings, FakeEmbedder())


def source_text(source: str) -> str:
    """The decoded text of a corpus file (for text reports, the same as the catalogue's)."""
    return (CORPUS / source).read_text(encoding="utf-8")


def serve(app, **options) -> Iterator[str]:
    """Run `app` as `councilqa serve` does on a free 127.0.0.1 port, in a thread; yields
    its base URL and stops it afterwards."""
    import uvicorn

    from councilqa.api.server import server_config

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    options = {"log_level": "warning", **options}
    srv = uvicorn.Server(server_config(app, "127.0.0.1", port, **options))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert srv.started, "the server did not start"
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(timeout=10)
