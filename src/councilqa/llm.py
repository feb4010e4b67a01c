"""The `LLM` seam and its one implementation: an OpenAI-compatible chat-completions client.

OpenAI, Ollama, vLLM and llama.cpp's server all speak this API. Every failure (cannot
connect, timeout, rejected key, HTTP error, unusable reply) becomes an LLMError with a
message that says which, so callers can fall back to the extractive answer.

The timeout is a deadline for the whole reply, not per read: httpx's timeouts restart
with every byte, so a server sending one byte a second would hold a request for ever.
The request runs in a worker thread and the caller stops waiting at the deadline; the
worker stops at the next piece that arrives (or at httpx's read timeout).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Iterator
from typing import Any, Protocol

import httpx
from httpx_sse import EventSource, SSEError

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
        """Yield the reply text by the deadline; raises LLMError naming what went wrong."""
        body = {"model": self.model, "messages": messages, "max_tokens": self.max_tokens,
                "temperature": self.temperature, "stream": stream}  # fmt: skip
        who = f"the LLM at {self.url}"
        yield from by_deadline(lambda stop: self._reply(body, stop), self.timeout_s, who)

    def _reply(self, body: dict[str, Any], stop: threading.Event) -> Iterator[str]:
        """The reply's pieces as they arrive, until `stop` is set (runs in the worker)."""
        try:
            with (
                httpx.Client(timeout=self.timeout_s) as client,
                client.stream("POST", self.url, json=body, headers=self.headers) as response,
            ):
                _check_status(response)
                if body["stream"]:
                    yield from _deltas(EventSource(response), stop)
                else:
                    yield _content(_read(response, stop))
        except httpx.TimeoutException as exc:
            raise LLMError(
                f"the LLM at {self.url} did not answer within {self.timeout_s:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise LLMError(f"could not reach the LLM at {self.url}: {exc}") from exc


def by_deadline(start: Any, timeout_s: float, who: str) -> Iterator[str]:
    """Yield what `start(stop)` yields, run in a worker thread, until `timeout_s` have
    passed since the call; then raise LLMError saying so and set `stop` for the worker."""
    pieces: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for piece in start(stop):
                pieces.put(("piece", piece))
            pieces.put(("end", None))
        except Exception as exc:  # handed to the caller's thread
            pieces.put(("error", exc))

    threading.Thread(target=work, daemon=True, name="llm-reply").start()
    deadline, started = time.monotonic() + timeout_s, False
    try:
        while True:
            try:
                kind, value = pieces.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                verb = "finish" if started else "answer"
                raise LLMError(f"{who} did not {verb} within {timeout_s:g} s") from None
            started = True
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()


def _read(response: httpx.Response, stop: threading.Event) -> bytes:
    data = b""
    for chunk in response.iter_bytes():
        if stop.is_set():
            break
        data += chunk
    return data


def _check_status(response: httpx.Response) -> None:
    if response.status_code in (401, 403):
        raise LLMError(f"the LLM rejected the API key (HTTP {response.status_code})")
    if response.status_code >= 400:
        response.read()
        raise LLMError(f"the LLM answered HTTP {response.status_code}: {response.text[:200]}")


def _content(data: bytes) -> str:
    try:
        content = json.loads(data)["choices"][0]["message"]["content"]
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise LLMError(f"the LLM's reply was unusable: {data[:200]!r}") from exc
    if not isinstance(content, str) or not content.strip():
        raise LLMError("the LLM's reply was empty")
    return content


def _deltas(events: EventSource, stop: threading.Event) -> Iterator[str]:
    got_any = False
    try:
        for event in events.iter_sse():
            if stop.is_set() or event.data.strip() == "[DONE]":
                break
            delta = _delta(event.data)
            got_any = got_any or bool(delta)
            if delta:
                yield delta
    except SSEError as exc:
        raise LLMError(f"the LLM's stream was unusable: {exc}") from exc
    if not got_any and not stop.is_set():
        raise LLMError("the LLM's reply was empty")


def _delta(data: str) -> str:
    try:
        return json.loads(data)["choices"][0].get("delta", {}).get("content") or ""
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        raise LLMError(f"the LLM's stream was unusable: {data[:200]!r}") from exc
