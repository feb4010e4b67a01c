"""The structure: imports run one way through the layers, pydantic and Settings stay at
the edges, the API does not import the build pipeline, and a new retrieval backend is one
module named in settings."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap

from .conftest import CORPUS, ROOT, FakeEmbedder, make_settings

PACKAGE = ROOT / "src" / "councilqa"
# The layers, bottom up; a module may import only modules of its own layer or below.
LAYERS = [
    {"models", "errors"},
    {"config", "text", "markup", "councils"},
    {"sources", "corpus"},
    {"layout", "shortlists", "ingest", "resolve", "chunking"},
    {"embedding"},
    {"store", "catalog"},
    {"engine"},
    {"fusion", "passages", "support", "search"},
    {"llm", "answer"},
    {"build", "service", "library"},
    {"api", "cli", "terminal", "eval", "__init__"},
]
LAYER = {name: i for i, names in enumerate(LAYERS) for name in names}
EDGE = LAYER["build"]  # below this: no pydantic, FastAPI or Settings (config aside)


def _modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE).with_suffix("")
        yield rel.parts, ast.parse(path.read_text(encoding="utf-8"))


def _imports(parts: tuple[str, ...], tree: ast.Module):
    """(top-level councilqa module, imported names) for each relative import, and the
    absolute top-level packages imported."""
    package = parts[:-1] if parts[-1] != "__init__" else parts[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = list(package[: len(package) - node.level + 1])
            target = base + (node.module.split(".") if node.module else [])
            top = target[0] if target else node.names[0].name
            yield "relative", top, [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield "absolute", node.module.split(".")[0], [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield "absolute", alias.name.split(".")[0], []


def test_every_module_has_a_layer():
    assert {parts[0] for parts, _ in _modules()} <= set(LAYER)


def test_imports_run_one_way():
    wrong = []
    for parts, tree in _modules():
        own = LAYER[parts[0]]
        for kind, top, _ in _imports(parts, tree):
            if kind == "relative" and top in LAYER and LAYER[top] > own:
                wrong.append(f"{'/'.join(parts)} imports {top}")
    assert wrong == []


def test_pydantic_fastapi_and_settings_stay_at_the_edges():
    wrong = []
    for parts, tree in _modules():
        if LAYER[parts[0]] >= EDGE or parts[0] == "config":
            continue
        for kind, top, names in _imports(parts, tree):
            if top in {"pydantic", "pydantic_settings", "fastapi", "starlette"}:
                wrong.append(f"{'/'.join(parts)} imports {top}")
            if "Settings" in names or (kind == "relative" and top == "config"):
                wrong.append(f"{'/'.join(parts)} imports Settings")
    assert wrong == []


def test_importing_the_api_does_not_import_the_build_pipeline():
    code = textwrap.dedent("""
        import sys
        import councilqa.api
        heavy = ["councilqa.build", "councilqa.ingest", "councilqa.resolve", "councilqa.chunking",
                 "councilqa.library", "councilqa.sources.pdf", "tiktoken", "torch",
                 "sentence_transformers", "faiss", "rank_bm25"]
        print(",".join(m for m in heavy if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


TINY_BACKEND = '''
"""A backend written for a test: lexical = shortest chunks containing a query word."""
import json
from pathlib import Path

import numpy as np

from councilqa.engine import Backend
from councilqa.engine import local


class Shortest:
    def __init__(self, rows):
        self.rows = rows

    def search(self, query, query_vector, filters, k):
        words = set(query.lower().split())
        found = [r for r in self.rows if words & set(r["text"].lower().split())
                 and (not filters.sources or r["source"] in filters.sources)]
        found.sort(key=lambda r: (len(r["text"]), r["id"]))
        # numpy scores, as engines often give: /search must still write them as JSON.
        return [(r["id"], np.float32(1.0 / len(r["text"]))) for r in found[:k]]


def build(directory, records, vectors):
    rows = [{"id": r.id, "text": r.text, "source": r.source} for r in records]
    (directory / "rows.json").write_text(json.dumps(rows))
    (directory / "dense").mkdir()
    local.build(directory / "dense", records, vectors)
    return {"kind": "tiny", "chunks": len(rows)}


def open_backend(directory):
    rows = json.loads((directory / "rows.json").read_text())
    return Backend(lexical=Shortest(rows), dense=local.open_backend(directory / "dense").dense)
'''


def test_a_new_backend_is_one_module_named_in_settings(tmp_path, monkeypatch):
    from councilqa.build import build_index
    from councilqa.config import build_config
    from councilqa.service import open_service

    pkg = tmp_path / "plugins"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "tiny.py").write_text(TINY_BACKEND)
    monkeypatch.syspath_prepend(str(tmp_path))
    settings = make_settings(CORPUS, tmp_path / "index", backend="plugins.tiny")
    manifest = build_index(
        CORPUS, settings.index_dir, build_config(settings), FakeEmbedder(), lambda m: None
    )
    assert manifest["backend"] == "plugins.tiny" and manifest["backend_info"]["kind"] == "tiny"
    service = open_service(settings, FakeEmbedder())
    hits = service.searcher.search("beavers", 3, "bm25")
    assert hits and "beaver" in hits[0].passage.text.lower()
    assert service.searcher.search("beavers", 3, "hybrid")  # fused with the dense side
    from fastapi.testclient import TestClient

    from councilqa.api import create_app

    with TestClient(create_app(settings, FakeEmbedder())) as client:
        r = client.post("/search", json={"query": "beavers", "top_k": 2, "mode": "bm25"})
        asked = client.post("/ask", json={"query": "beavers", "top_k": 2, "mode": "bm25"})
    assert r.status_code == 200 and r.json()["passages"][0]["scores"]["bm25"] > 0
    assert asked.status_code == 200 and asked.json()["passages"]
