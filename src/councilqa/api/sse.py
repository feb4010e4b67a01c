"""Server-sent events: the wire format of a streamed /ask (passages, delta…, done)."""

from __future__ import annotations

from collections.abc import Iterator

import orjson

from ..answer import Event
from ..models import Answer, Hit
from .schemas import Passage, ask_response


def sse(event: str, data: object) -> bytes:
    """One event in the text/event-stream format."""
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


def encode(query: str, events: Iterator[Event]) -> Iterator[bytes]:
    """Domain answer events as SSE: `passages`, `delta` pieces, then `done` (the response)."""
    for name, payload in events:
        if name == "passages":
            hits: list[Hit] = payload  # type: ignore[assignment]
            yield sse("passages", [Passage.from_hit(h).model_dump() for h in hits])
        elif name == "delta":
            yield sse("delta", {"text": payload})
        elif isinstance(payload, Answer):
            yield sse("done", ask_response(query, payload, 0.0).model_dump())
