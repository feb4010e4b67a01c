"""The `LLM` seam and its one implementation: an OpenAI-compatible chat-completions client.

OpenAI, Ollama, vLLM and llama.cpp's server all speak this API. Every failure (cannot
connect, timeout, rejected key, HTTP error, unusable reply) becomes an LLMError with a
message that says which, so callers can fall back to the extractive answer.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Protocol

import httpx

from .errors import LLMError
from .models import LLMConfig

Message = dict[str, str]


class LLM(Protocol):
    """Anything that turns chat messages into text, yielded as it arrives."""

    model: str

    def chat(self, messages: list[Message], stream: bool = False) -> Iterator[str]:
        """Yield the reply's text in pieces (one piece when not streaming)."""
        ...


class OpenAIChat:
    """A client for POST {base_url}/chat/completions, e.g. https://api.openai.com/v1."""

    def __init__(self, config: LLMConfig) -> None:
        self.url = config.base_url.rstrip("/") + "/chat/completions"
        self.model = config.model
        self.timeout_s = config.timeout_s
        self.max_tokens = config.max_tokens
        self.temperature = config.temperature
        self.headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}

    def chat(self, messages: list[Message], stream: bool = False) -> Iterator[str]:
        """Yield the reply text; raises LLMError naming what went wrong."""
        body = {
            "model": self.model,
            "messages": messages,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stream": stream,
        }
        deadline = time.monotonic() + self.timeout_s  # a whole-reply limit, not per read
        try:
            with (
                httpx.Client(timeout=self.timeout_s) as client,
                client.stream("POST", self.url, json=body, headers=self.headers) as response,
            ):
                _check_status(response)
                if stream:
                    yield from _stream_deltas(response, deadline, self.timeout_s)
                else:
                    response.read()
                    yield _content(response)
        except httpx.TimeoutException as exc:
            raise LLMError(
                f"the LLM at {self.url} did not answer within {self.timeout_s:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"could not reach the LLM at {self.url}: {exc}") from exc


def _check_status(response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise LLMError(f"the LLM rejected the API key (HTTP {response.status_code})")
    if response.status_code >= 400:
        response.read()
        raise LLMError(f"the LLM answered HTTP {response.status_code}: {response.text[:200]}")


def _content(response: httpx.Response) -> str:
    try:
        content = response.json()["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"the LLM's reply was unusable: {response.text[:200]!r}") from exc
    if not isinstance(content, str) or not content.strip():
        raise LLMError("the LLM's reply was empty")
    return content


def _stream_deltas(response: httpx.Response, deadline: float, timeout_s: float) -> Iterator[str]:
    got_any = False
    for line in response.iter_lines():
        if time.monotonic() > deadline:
            raise LLMError(f"the LLM did not finish within {timeout_s:g} s")
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            break
        try:
            delta = json.loads(data)["choices"][0].get("delta", {}).get("content") or ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise LLMError(f"the LLM's stream was unusable: {data[:200]!r}") from exc
        if delta:
            got_any = True
            yield delta
    if not got_any:
        raise LLMError("the LLM's reply was empty")
