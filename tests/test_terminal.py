"""What the CLI shows of a passage: the reports' markup rendered, as on the web page."""

from councilqa.markup import plain
from councilqa.terminal import BOLD_OFF, BOLD_ON, format_hit, page_label, render


def test_render_is_the_markup_rules():
    text = "### Energy\n**Liverpool** did it.\n82\nNext"
    assert render(text) == plain(text) == "Energy Liverpool did it. Next"


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
