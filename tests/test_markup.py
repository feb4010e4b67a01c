"""The reports' markup read as plain text: one set of rules for the CLI and answers."""

import pytest

from councilqa.markup import plain


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("**Liverpool City Council** is setting up", "Liverpool City Council is setting up"),
        ("__Leeds__ and **Hull**", "Leeds and Hull"),
        ("### Cheaper energy\n\nOne in seven", "Cheaper energy One in seven"),
        ("the end of a page.\n82\nThe next page", "the end of a page. The next page"),
        ("a lone ** mark", "a lone mark"),
        ("2022 was the year", "2022 was the year"),  # a number in a sentence stays
        ("set up\n an  energy company", "set up an energy company"),
        ("", ""),
    ],
)
def test_plain_drops_markup_and_page_numbers(text, want):
    assert plain(text) == want


def test_plain_passes_bold_text_to_a_drawer():
    assert plain("**Leeds** and __Hull__ did", lambda b: f"<{b}>") == "<Leeds> and <Hull> did"
