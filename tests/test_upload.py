"""POST /documents and DELETE /documents/{source}: off without an admin token, 401 with a
wrong one, refused files lose nothing, an accepted file is served without a restart
(real uvicorn; the real model, since the upload embeds the new report's chunks)."""

from __future__ import annotations

import shutil

import httpx
import pytest
from pydantic import SecretStr

from .conftest import copy_corpus, make_settings, serve

TOKEN = "s3cret-admin"
REPORT = (
    "# Libraries\n\n## A library that lends tools\n\n"
    + "Zephyrton Borough Council opened a library of things where residents borrow drills, "
    "ladders and sewing machines for a small fee, cutting waste and saving money. " * 3
)


@pytest.fixture()
def admin(tmp_path, settings, embedder, built_index):
    """A server over a private copy of the real corpus and index, uploads on."""
    from councilqa.api import create_app

    ours = make_settings(copy_corpus(tmp_path / "corpus"), tmp_path / "index")
    ours = ours.model_copy(update={"admin_token": SecretStr(TOKEN)})
    shutil.copytree(settings.index_dir, ours.index_dir)
    for base in serve(create_app(ours, embedder)):
        with httpx.Client(base_url=base, timeout=120) as client:
            yield client, ours


def _upload(client, name, body, token=TOKEN, **params):
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return client.post("/documents", params={"name": name, **params}, content=body, headers=headers)


def test_uploads_are_off_without_a_token(fake_settings):
    from councilqa.api import create_app

    from .conftest import FakeEmbedder

    for base in serve(create_app(fake_settings, FakeEmbedder())):
        r = httpx.post(f"{base}/documents", params={"name": "a.md"}, content=b"# A\n\ntext")
        assert r.status_code == 403 and "COUNCILQA_ADMIN_TOKEN" in r.json()["detail"]


def test_upload_rules_and_a_served_new_report(admin):
    client, settings = admin
    before = (settings.index_dir / "manifest.json").read_bytes()
    r = _upload(client, "tools.md", REPORT.encode(), token="wrong")
    assert r.status_code == 401 and "admin token" in r.json()["detail"]
    r = _upload(client, "../tools.md", REPORT.encode())
    assert r.status_code == 422 and "plain file name" in r.json()["detail"]
    r = _upload(client, "tools.exe", REPORT.encode())
    assert r.status_code == 422 and ".pdf" in r.json()["detail"]
    r = _upload(client, "scan.pdf", b"<!DOCTYPE html><html><body>hi</body></html>")
    assert r.status_code == 422 and "it looks like HTML" in r.json()["detail"]
    assert (settings.index_dir / "manifest.json").read_bytes() == before
    assert not (settings.corpus_dir / "scan.pdf").exists()
    r = _upload(client, "tools.md", REPORT.encode(), title="Libraries of things", year=2024)
    assert r.status_code == 201, r.text
    added = {d["source"]: d for d in r.json()}["tools.md"]
    assert added["title"] == "Libraries of things" and added["initiatives"] >= 1
    hits = client.post("/search", json={"query": "library of things Zephyrton"}).json()
    assert hits["passages"][0]["source"] == "tools.md"
    r = client.delete("/documents/tools.md", headers={"authorization": f"Bearer {TOKEN}"})
    assert r.status_code == 204
    assert "tools.md" not in {d["source"] for d in client.get("/documents").json()}
