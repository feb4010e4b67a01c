"""Award shortlists: an unheaded category's entries lose the previous category's label."""

from councilqa.models import Initiative, Span
from councilqa.shortlists import end_unheaded_categories


def _entry(n: int, council: str, section: str = "Climate Response") -> Initiative:
    return Initiative(f"i{n}", "004.txt", f"entry {n}", (council,), section, (Span(n, n + 1),))


def test_alphabet_starting_again_ends_the_category():
    # Climate Response lists Barnet ... York; then Aberdeen, Bristol, Croydon follow with no
    # heading of their own: a new, unnamed category.
    names = ["Barnet Council", "Leeds City Council", "York City Council", "Aberdeen City Council",
             "Bristol City Council", "Croydon Council"]  # fmt: skip
    items = [_entry(n, c) for n, c in enumerate(names)]
    sections = [i.section for i in end_unheaded_categories(items, {"Climate Response"})]
    assert sections == ["Climate Response"] * 3 + [""] * 3


def test_an_alphabetical_list_keeps_its_label():
    names = ["Barnet Council", "Camden Council", "Leeds City Council", "York City Council"]
    items = [_entry(n, c) for n, c in enumerate(names)]
    assert end_unheaded_categories(items, {"Climate Response"}) == items
    # Outside award categories nothing is touched, in any order.
    reversed_items = [_entry(n, c, "Housing") for n, c in enumerate(reversed(names))]
    assert end_unheaded_categories(reversed_items, {"Climate Response"}) == reversed_items
