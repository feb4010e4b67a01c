"""What the CLI shows of a passage: the reports' markup rendered, as on the web page."""

import pytest

from councilqa.terminal import BOLD_OFF, BOLD_ON, format_hit, page_label, render


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("**Liverpool City Council** is setting up", "Liverpool City Council is setting up"),
        ("### Cheaper energy\n\nOne in seven", "Cheaper energy One in seven"),
        ("the end of a page.\n82\nThe next page", "the end of a page. The next page"),
        ("a lone ** mark", "a lone mark"),
        ("2022 was the year", "2022 was the year"),  # a number in a sentence stays
        ("", ""),
    ],
)
def test_render_drops_markup_and_page_numbers(text, plain):
    assert render(text) == plain


def test_render_draws_bold_on_a_terminal():
    assert render("**Leeds** did it", ansi=True) == f"{BOLD_ON}Leeds{BOLD_OFF} did it"


def test_page_label():
    assert page_label(None) == "" and page_label((3, 3)) == "p. 3"
    assert page_label((14, 15)) == "pp. 14-15"


def test_format_hit_cites_and_renders(searcher):
    hit = searcher.search("Liverpool energy company selling cheaper gas", 1)[0]
    shown = format_hit(hit, 1)
    assert shown.startswith("[1] Liverpool City Council — ")
    assert f"{hit.passage.source} [{hit.passage.start}:{hit.passage.end}]" in shown
    assert "**" not in shown and "Liverpool City Council is now setting up" in " ".join(
        shown.split()
    )
