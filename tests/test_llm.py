"""The LLM client against a fake OpenAI-compatible server: the timeout is a deadline for
the whole reply, so a server that trickles bytes cannot hold /ask past it."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from councilqa.errors import LLMError
from councilqa.llm import OpenAIChat, by_deadline
from councilqa.models import LLMConfig

from .conftest import FakeEmbedder
from .fake_llm import FakeLLM

TIMEOUT = 1.0
MESSAGES = [{"role": "user", "content": "Which councils run energy companies?"}]


@pytest.fixture(scope="module")
def llm():
    with FakeLLM() as fake:
        yield fake


@pytest.fixture()
def trickle(llm):
    llm.mode, llm.trickle_s = "trickle", 0.2  # a byte every 0.2 s: each read well in time
    yield llm
    llm.mode = "ok"


@pytest.mark.parametrize("stream", [False, True])
def test_a_trickling_llm_is_cut_at_the_deadline(trickle, stream):
    client = OpenAIChat(LLMConfig(trickle.url, "fake-model", timeout_s=TIMEOUT))
    started = time.monotonic()
    with pytest.raises(LLMError) as caught:
        list(client.chat(MESSAGES, stream=stream))
    assert time.monotonic() - started < TIMEOUT + 0.5
    # no whole piece arrives in time (an event takes ~90 bytes), so not even an answer began
    url = f"{trickle.url}/chat/completions"
    assert str(caught.value) == f"the LLM at {url} did not answer within 1 s"


@pytest.mark.parametrize("stream", [False, True])
def test_ask_with_a_trickling_llm_answers_extractively_in_time(trickle, fake_settings, stream):
    from councilqa.api import create_app

    settings = fake_settings.model_copy(
        update={"llm_base_url": trickle.url, "llm_model": "fake-model", "llm_timeout_s": TIMEOUT,
                "abstain_min_dense": 0.0}
    )  # fmt: skip
    body = {"query": "energy company", "generate": True, "stream": stream}
    with TestClient(create_app(settings, FakeEmbedder())) as client:
        started = time.monotonic()
        r = client.post("/ask", json=body)
        took = time.monotonic() - started
    assert r.status_code == 200 and took < TIMEOUT + 1.5, took
    answer = r.json() if not stream else _done(r.text)
    assert answer["llm"]["error"].endswith(f"within {TIMEOUT:g} s")
    assert answer["answer"]["citations"] and not answer["abstained"]


def _done(text: str) -> dict:
    import json

    last = text.strip().split("\n\n")[-1]
    assert last.startswith("event: done\ndata: ")
    return json.loads(last.split("data: ", 1)[1])


def test_the_deadline_passes_pieces_and_errors_through():
    assert list(by_deadline(lambda stop: iter(["a", "b"]), 1, "x")) == ["a", "b"]

    def failing(stop):
        yield "a"
        raise LLMError("broken")

    with pytest.raises(LLMError, match="broken"):
        list(by_deadline(failing, 1, "x"))


def test_a_prompt_reply_is_unchanged(llm):
    llm.mode = "ok"
    client = OpenAIChat(LLMConfig(llm.url, "fake-model", timeout_s=TIMEOUT))
    assert "".join(client.chat(MESSAGES)) == llm.reply
    assert "".join(client.chat(MESSAGES, stream=True)).strip() == llm.reply
