"""The HTTP API: shapes, citations that resolve, and a clear 4xx for every bad input."""

import pytest

from councilqa.api.schemas import Passage, SearchResponse

from .conftest import source_text

QUERY = {"query": "Which councils run municipal energy companies?"}


def test_search_shape_and_citations(client):
    r = client.post("/search", json=QUERY | {"top_k": 7})
    assert r.status_code == 200
    body = r.json()
    assert body["query"] == QUERY["query"] and body["took_ms"] >= 0
    assert [p["rank"] for p in body["passages"]] == list(range(1, 8))
    first = body["passages"][0]
    assert set(first) == {
        "rank", "score", "initiative_id", "source", "title", "councils", "section",
        "start", "end", "pages", "text", "highlights", "scores",
    }  # fmt: skip
    assert {"bm25", "bm25_rank", "dense", "dense_rank", "named_rank"} <= set(first["scores"])
    assert any("Liverpool City Council" in p["councils"] for p in body["passages"][:3])


def test_search_body_is_what_the_response_model_gives(client):
    """/search writes plain data with orjson: it must be exactly SearchResponse's JSON."""
    body = client.post("/search", json=QUERY | {"top_k": 5}).json()
    model = SearchResponse.model_validate(body)
    hits = client.app.state.holder.current().searcher.search(QUERY["query"], 5)
    assert [p.model_dump() for p in model.passages] == [
        Passage.from_hit(h).model_dump() for h in hits
    ]


@pytest.mark.parametrize("mode", ["hybrid", "dense", "bm25"])
@pytest.mark.parametrize(
    "query",
    [
        "apprenticeships in Southwark",
        "video doorbells for victims",
        "£",
        "Lambeth’s “Made” programme",
    ],
)
def test_every_passage_is_the_source_text_at_its_span(client, mode, query):
    r = client.post("/search", json={"query": query, "top_k": 10, "mode": mode})
    assert r.status_code == 200
    for p in r.json()["passages"]:
        assert p["text"] == source_text(p["source"])[p["start"] : p["end"]]


def test_filters(client):
    r = client.post("/search", json=QUERY | {"filters": {"councils": ["Islington"]}})
    assert r.status_code == 200
    assert all("London Borough of Islington" in p["councils"] for p in r.json()["passages"])


@pytest.mark.parametrize(
    ("body", "status", "detail"),
    [
        ({"query": ""}, 422, "query is empty"),
        ({"query": "   \n\t"}, 422, "query is empty"),
        ({"query": "x" * 1001}, 422, "query is 1001 characters long; the limit is 1000"),
        (
            {"query": "housing", "top_k": 0},
            422,
            "top_k: Input should be greater than or equal to 1",
        ),
        ({"query": "housing", "top_k": 51}, 422, "top_k: Input should be less than or equal to 50"),
        ({"query": "housing", "top_k": "many"}, 422, "top_k: Input should be a valid integer"),
        ({"query": "housing", "mode": "fuzzy"}, 422, "mode: Input should be 'hybrid', 'dense' or"),
        ({"query": 42}, 422, "query: Input should be a valid string"),
        ({}, 422, "query: Field required"),
        (
            {"query": "housing", "filters": {"councils": ["Atlantis"]}},
            422,
            "unknown council 'Atlantis'",
        ),
        (
            {"query": "housing", "filters": {"sources": ["nope.txt"]}},
            422,
            "unknown source 'nope.txt'. The 5 valid values: GET /documents",
        ),
        (
            {"query": "housing", "filters": {"colour": ["red"]}},
            422,
            "filters.colour: Extra inputs are not permitted",
        ),
        (
            {"query": "housing", "filters": {"councils": "Lambeth"}},
            422,
            "filters.councils: Input should be a valid list",
        ),
        ({"query": "housing", "extra": 1}, 422, "extra: Extra inputs are not permitted"),
    ],
)
def test_bad_search_input(client, body, status, detail):
    r = client.post("/search", json=body)
    assert r.status_code == status
    assert detail in r.json()["detail"]


def test_malformed_json(client):
    r = client.post(
        "/search", content=b'{"query": "housing",', headers={"content-type": "application/json"}
    )
    assert r.status_code == 400
    assert r.json()["detail"].startswith("malformed JSON body")


def test_huge_body(client):
    r = client.post(
        "/search",
        content=b'{"query": "' + b"a" * 100_000 + b'"}',
        headers={"content-type": "application/json"},
    )
    assert r.status_code == 413 and "the limit is" in r.json()["detail"]


def test_documents(client):
    docs = client.get("/documents").json()
    assert len(docs) == 5
    assert all(d["initiatives"] > 0 and len(d["sha256"]) == 64 for d in docs)
    assert {d["title"] for d in docs} >= {
        "100 innovations by Labour in Power",
        "LGC Awards 2022: the shortlisted entries",
    }


def test_initiative_whole(client):
    passage = client.post("/search", json=QUERY).json()["passages"][0]
    r = client.get(f"/initiatives/{passage['initiative_id']}")
    assert r.status_code == 200
    item = r.json()
    text = source_text(item["source"])
    assert item["text"] == [text[s["start"] : s["end"]] for s in item["spans"]]
    assert (
        item["spans"][0]["start"] <= passage["start"] < passage["end"] <= item["spans"][-1]["end"]
    )


def test_unknown_initiative(client):
    r = client.get("/initiatives/doesnotexist")
    assert r.status_code == 404 and "no initiative with id 'doesnotexist'" in r.json()["detail"]


def test_document_text_window(client):
    source = client.get("/documents").json()[0]["source"]
    r = client.get(f"/documents/{source}/text", params={"start": 5000, "end": 5100, "context": 50})
    assert r.status_code == 200
    body = r.json()
    assert (body["start"], body["end"]) == (4950, 5150)
    assert body["text"] == source_text(source)[4950:5150]
    assert (body["highlight_start"], body["highlight_end"]) == (5000, 5100)
    assert client.get("/documents/nope.txt/text").status_code == 404
    r = client.get(f"/documents/{source}/text", params={"start": 10, "end": 5, "context": 0})
    assert r.status_code == 200 and (r.json()["highlight_start"], r.json()["text"]) == (10, "")
    length = len(source_text(source))
    r = client.get(f"/documents/{source}/text", params={"start": 10, "end": 10**9, "context": 0})
    assert r.json()["highlight_end"] == length and r.json()["text"] == source_text(source)[10:]
    r = client.get(f"/documents/{source}/text", params={"start": 2**31})
    assert (
        r.status_code == 422
        and "start: Input should be less than or equal to" in r.json()["detail"]
    )
    assert client.get(f"/documents/{source}/text", params={"start": -1}).status_code == 422


def test_councils_sections_health_docs(client):
    councils = client.get("/councils").json()
    assert {
        "council": "Liverpool City Council",
        "initiatives": councils[[c["council"] for c in councils].index("Liverpool City Council")][
            "initiatives"
        ],
    } in councils
    assert "Climate Response" in client.get("/sections").json()
    health = client.get("/health").json()
    assert health["status"] == "ok" and health["counts"]["chunks"] > 0
    assert client.get("/docs").status_code == 200
    assert "/search" in client.get("/openapi.json").json()["paths"]


def test_edits_to_the_corpus_change_nothing_served(tmp_path, embedder, built_index, settings):
    """Text comes from the index's catalogue: an edited report (a preface, a bad byte)
    changes no passage, reader window or initiative until a rebuild."""
    import shutil

    from fastapi.testclient import TestClient

    from councilqa.api import create_app

    from .conftest import copy_corpus, make_settings

    corpus = copy_corpus(tmp_path / "corpus")
    index = tmp_path / "index"
    shutil.copytree(settings.index_dir, index)
    with TestClient(create_app(make_settings(corpus, index), embedder)) as c:
        before = c.post("/search", json=QUERY | {"top_k": 10}).json()["passages"]
        for path in corpus.glob("*.txt"):
            path.write_bytes(b"A thirty-character preface...\n" + path.read_bytes() + b"\xff")
        after = c.post("/search", json=QUERY | {"top_k": 10}).json()["passages"]
        assert after == before
        for p in after:
            window = c.get(
                f"/documents/{p['source']}/text",
                params={"start": p["start"], "end": p["end"], "context": 0},
            )
            assert window.status_code == 200 and window.json()["text"] == p["text"]
            item = c.get(f"/initiatives/{p['initiative_id']}")
            assert item.status_code == 200


def test_unknown_route_and_method(client):
    assert client.get("/nope").status_code == 404
    assert client.get("/search").status_code == 405
