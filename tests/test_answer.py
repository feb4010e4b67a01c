"""/ask: extractive answers, council lists, abstention, and an LLM behind a fake server."""

import json

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from councilqa.answer import (
    Answerer,
    check_citations,
    council_groups,
    council_list_text,
    fit_passages,
    quotable,
    should_abstain,
)
from councilqa.api import create_app
from councilqa.support import is_list_question, on_topic, question_features
from councilqa.text import token_counter

from .fake_llm import FakeLLM

ENERGY = "Which councils run municipal energy companies?"


@pytest.fixture(scope="module")
def llm():
    with FakeLLM() as fake:
        yield fake


@pytest.fixture()
def llm_client(settings, embedder, built_index, llm):
    llm.mode, llm.requests[:] = "ok", []
    configured = settings.model_copy(
        update={
            "llm_base_url": llm.url,
            "llm_model": "fake-model",
            "llm_timeout_s": 1.5,
            "llm_api_key": SecretStr("sk-test"),
            "llm_context_tokens": 1200,
        }
    )
    with TestClient(create_app(configured, embedder)) as client:
        yield client


def test_check_citations_by_hand():
    text, kept, removed = check_citations("A [1]. B [2, 7]. C [9][3] .", sent=3)
    assert (text, kept, removed) == ("A [1]. B [2]. C [3].", [1, 2, 3], [7, 9])
    assert check_citations("", 3) == ("", [], [])


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        (ENERGY, True),
        ("Has any council fitted video doorbells?", True),
        ("Which local authorities cut bus fares?", True),
        ("What did Southwark do?", False),
        ("How much did Enfield spend?", False),
        ("Which council is training barbers?", False),  # singular: a quoted answer
        ("How many boroughs have school streets?", True),
    ],
)
def test_is_list_question(q, expected):
    assert is_list_question(q) is expected


def test_extractive_council_list_for_energy_companies(client):
    r = client.post("/ask", json={"query": ENERGY})
    assert r.status_code == 200
    body = r.json()
    assert not body["abstained"] and body["llm"] is None
    groups = {g["council"]: g for g in body["councils"]}
    n = groups["Liverpool City Council"]["initiatives"][0]["n"]
    assert body["passages"][n - 1]["councils"] == ["Liverpool City Council"]
    assert (
        f"Liverpool City Council: Cheaper Energy Bills with our own energy companies [{n}]"
        in body["answer"]["text"]
    )
    for c in body["answer"]["citations"]:
        p = body["passages"][c["n"] - 1]
        assert (c["initiative_id"], c["source"], c["start"], c["end"]) == (
            p["initiative_id"],
            p["source"],
            p["start"],
            p["end"],
        )


def test_extractive_quotes_for_other_questions(client):
    body = client.post(
        "/ask", json={"query": "How many apprenticeships has Southwark created?"}
    ).json()
    assert body["answer"]["citations"]
    for c in body["answer"]["citations"]:
        assert f"[{c['n']}]" in body["answer"]["text"]
    assert "“" in body["answer"]["text"]


def test_abstains_when_the_reports_do_not_answer(client):
    # Far from every report: the best passage's cosine is below the calibrated threshold.
    body = client.post(
        "/ask", json={"query": "What is the boiling point of tungsten in kelvin?"}
    ).json()
    assert body["abstained"] is True and body["reason"]
    assert body["answer"]["text"] == "The reports do not say." and body["answer"]["citations"] == []
    assert body["passages"]  # the evidence still comes back for the reader to judge


def test_generate_without_llm_configured(client):
    body = client.post("/ask", json={"query": ENERGY, "generate": True}).json()
    assert body["llm"]["error"].startswith("no LLM is configured")
    assert body["councils"]


def test_generated_answer_with_checked_citations(llm_client, llm):
    llm.reply = "Liverpool City Council set up the Liverpool LECCy [1]. Others too [12][2]."
    r = llm_client.post("/ask", json={"query": ENERGY, "generate": True})
    assert r.status_code == 200
    body = r.json()
    assert (
        body["answer"]["text"]
        == "Liverpool City Council set up the Liverpool LECCy [1]. Others too [2]."
    )
    assert [c["n"] for c in body["answer"]["citations"]] == [1, 2]
    assert body["llm"] == {"model": "fake-model", "error": None, "removed_citations": [12]}
    sent = llm.requests[-1]
    assert sent["model"] == "fake-model" and sent["auth"] == "Bearer sk-test"
    assert sent["messages"][0]["role"] == "system" and "[1]" in sent["messages"][0]["content"]


def test_prompt_respects_the_token_budget(llm_client, llm):
    llm_client.post("/ask", json={"query": ENERGY, "generate": True, "top_k": 20})
    sent = llm.requests[-1]["messages"]
    count = token_counter("cl100k_base")
    assert sum(count(m["content"]) for m in sent) <= 1200 + 20
    user = sent[1]["content"]
    numbers = [n for n in range(1, 21) if f"[{n}] " in user]
    assert numbers == list(range(1, len(numbers) + 1)) and 1 <= len(numbers) < 20


def test_passages_are_never_cut(searcher):
    hits = searcher.search(ENERGY, 10)
    count = token_counter("cl100k_base")
    blocks = fit_passages(hits, 600, count)
    for n, block in enumerate(blocks, start=1):
        assert block.endswith(hits[n - 1].passage.text)
    assert sum(count(b) for b in blocks) <= 600


def test_invented_citation_only_falls_back(llm_client, llm):
    llm.reply = "Every council does this [7]."
    body = llm_client.post("/ask", json={"query": ENERGY, "generate": True, "top_k": 3}).json()
    assert "cited no passage" in body["llm"]["error"]
    assert body["answer"]["text"].startswith("The reports name")


@pytest.mark.parametrize(
    ("mode", "error"),
    [
        ("401", "rejected the API key (HTTP 401)"),
        ("500", "answered HTTP 500"),
        ("garbage", "reply was unusable"),
        ("empty", "reply was empty"),
        ("slow", "did not answer within 1.5 s"),
    ],
)
def test_llm_failures_keep_the_evidence(llm_client, llm, mode, error):
    llm.mode = mode
    r = llm_client.post("/ask", json={"query": ENERGY, "generate": True})
    assert r.status_code == 200
    body = r.json()
    assert error in body["llm"]["error"]
    assert body["passages"] and body["answer"]["citations"]  # the extractive answer


def test_unreachable_llm(settings, embedder, built_index):
    configured = settings.model_copy(
        update={"llm_base_url": "http://127.0.0.1:9/v1", "llm_timeout_s": 2}
    )
    with TestClient(create_app(configured, embedder)) as client:
        body = client.post("/ask", json={"query": ENERGY, "generate": True}).json()
    assert "could not reach the LLM" in body["llm"]["error"] and body["passages"]


def _events(text):
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_streaming(llm_client, llm):
    llm.reply = "Liverpool runs one [1]. Invented [40]."
    with llm_client.stream(
        "POST", "/ask", json={"query": ENERGY, "generate": True, "stream": True}
    ) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        events = _events(r.read().decode())
    kinds = [e for e, _ in events]
    assert kinds[0] == "passages" and kinds[-1] == "done" and kinds.count("delta") >= 3
    assert "".join(d["text"] for e, d in events if e == "delta").strip() == llm.reply
    done = events[-1][1]
    assert done["answer"]["text"] == "Liverpool runs one [1]. Invented."
    assert done["llm"]["removed_citations"] == [40]


def test_streaming_timeout_mid_reply(llm_client, llm):
    llm.mode, llm.reply = "slow-stream", "one two three four five [1]"
    with llm_client.stream(
        "POST", "/ask", json={"query": ENERGY, "generate": True, "stream": True}
    ) as r:
        events = _events(r.read().decode())
    done = events[-1][1]
    assert "did not finish within 1.5 s" in done["llm"]["error"]
    assert done["answer"]["citations"]


def test_answerer_without_llm_streams_extractive(searcher):
    answerer = Answerer(None, min_dense=0.3)
    hits = searcher.search(ENERGY, 5)
    events = list(answerer.stream(ENERGY, hits))
    assert [e for e, _ in events] == ["passages", "delta", "done"]
    assert events[0][1] == hits and events[1][1] == events[2][1].text


@pytest.mark.parametrize(
    ("sentence", "ok"),
    [
        ("### Cheaper energy bills for every resident", False),  # a heading line
        ("**Liverpool City Council**", False),  # a bold-only line
        ("82", False),  # a page number
        ("Set up a new energy company.", True),
        ("**Liverpool City Council** is now setting up a new energy company", True),
    ],
)
def test_quotable_never_takes_headings(sentence, ok):
    assert quotable(sentence) is ok


def test_extractive_answer_quotes_no_markup(searcher, service):
    query = "How is Liverpool making energy cheaper?"
    answer = service.answerer.extractive(query, searcher.answer_hits(query, 5))
    assert "**" not in answer.text and "###" not in answer.text


def test_list_answer_is_exhaustive_and_counted(searcher, service):
    hits = searcher.answer_hits(ENERGY, 5)
    assert len(hits) >= 5 and [h.rank for h in hits] == list(range(1, len(hits) + 1))
    answer = service.answerer.extractive(ENERGY, hits)
    councils = {g.council for g in answer.councils}
    assert "Liverpool City Council" in councils
    assert f"{len(councils)} council" in answer.text and "initiative" in answer.text
    cited = {c.n for c in answer.citations}
    assert cited and max(cited) <= len(answer.hits)  # every [n] resolves to answer.hits
    assert all(on_topic(answer.hits[n - 1]) for n in cited)
    southwark = "What did Southwark do?"  # not a list question: the top 5, with support
    assert searcher.answer_hits(southwark, 5) == searcher.supported(
        southwark, searcher.search(southwark, 5)
    )


def test_council_list_counts_by_hand(searcher):
    hits = searcher.search(ENERGY, 10)
    groups = council_groups(hits)  # no query: every passage counts
    text = council_list_text(groups)
    initiatives = len({n for g in groups for _, n in g.initiatives})
    assert text.startswith(f"The reports name {len(groups)} councils and {initiatives} initiatives")


def test_abstention_model_catches_a_near_topic_question(searcher, service):
    # A tourist tax is on no page; its generic words (visitors, overnight) are.
    model = service.answerer.model
    assert model.features and 0 < model.threshold < 1
    tourist = "Which councils charge visitors an overnight tourist tax?"
    p = model.p_answerable(
        question_features(tourist, [h.scores for h in searcher.answer_hits(tourist, 10)])
    )
    assert 0 <= p < model.threshold
    abstain, reason = should_abstain(tourist, searcher.answer_hits(tourist, 10), 0.3, model)
    assert abstain and "distinctive words" in reason
    assert should_abstain(ENERGY, [], 0.3, model) == (True, "no passage matched the question")
    assert should_abstain(ENERGY, searcher.answer_hits(ENERGY, 10), 0.3, model) == (False, "")
    # BM25-only hits carry no cosine: the model (fitted on hybrid) is not applied.
    assert should_abstain(ENERGY, searcher.answer_hits(ENERGY, 10, "bm25"), 0.3, model) == (
        False,
        "",
    )


def test_an_off_topic_question_abstains_on_the_cosine_floor(searcher, service):
    query = "What is the boiling point of tungsten?"
    abstain, reason = should_abstain(query, searcher.search(query, 10), 0.3, None)
    assert abstain and "weak match" in reason
