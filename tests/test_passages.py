"""Passages: the whole initiative when short, else a window on sentence or word
boundaries around the chunk; highlights are sentences; every span is a source span."""

import pytest

from councilqa.models import Chunk, Initiative, Span
from councilqa.passages import highlights, make_passage, passage_span
from councilqa.sources import page_range

TEXT = (
    "### Cheaper energy\n"
    "**Liverpool City Council** set up an energy company. It sells gas and power at cost. "
    "Residents save money on bills. The scheme began in 2017 and has grown every year. "
    "Other councils have asked how it works."
)


def _item():
    councils = ("Liverpool City Council",)
    return Initiative("i1", "a.txt", "Cheaper energy", councils, "", (Span(0, len(TEXT)),))


def _chunk(start, end):
    return Chunk("c1", "i1", "a.txt", start, end, TEXT[start:end], TEXT[start:end])


def test_short_initiative_is_shown_whole():
    assert passage_span(TEXT, _item(), _chunk(20, 60), cap=2500) == (0, len(TEXT))


@pytest.mark.parametrize("cap", [60, 100, 150])
def test_long_initiative_is_cut_on_boundaries(cap):
    chunk_start = TEXT.index("Residents")
    chunk = _chunk(chunk_start, chunk_start + 30)
    start, end = passage_span(TEXT, _item(), chunk, cap)
    assert start <= chunk.start and end >= chunk.end  # the scoring chunk is always shown
    assert end - start <= max(cap, chunk.end - chunk.start) + 1
    assert end == len(TEXT) or not TEXT[end].isalnum()  # never mid-word
    assert start == 0 or TEXT[start - 1] in " \n"


def test_highlights_are_matching_sentences():
    chunk = _chunk(TEXT.index("**Liverpool"), TEXT.index(" Residents"))
    marks = highlights(TEXT, 0, len(TEXT), chunk, "energy company gas")
    texts = [TEXT[s.start : s.end] for s in marks]
    assert any("energy company" in t for t in texts)
    assert all(0 <= s.start < s.end <= len(TEXT) for s in marks)
    assert highlights(TEXT, 0, len(TEXT), chunk, "the of and") == ()  # stop words only


def test_make_passage_is_a_source_span():
    p = make_passage(TEXT, _item(), _chunk(20, 60), 2500, "energy", page_starts=(0, 30, 45))
    assert p.text == TEXT[p.start : p.end] and p.pages == page_range((0, 30, 45), p.start, p.end)
    assert p.pages is not None and p.pages[0] < p.pages[1]  # spans a page break
    assert make_passage(TEXT, _item(), _chunk(20, 60), 2500, "energy").pages is None
