"""Award shortlists: where a category's list of entrants ends without a heading.

An awards report lists each category's shortlist alphabetically by entrant. Some reports
lack the heading of a category, so its entries would carry the previous category's label
(a report once labelled 35 initiatives "Most Improved Council"). Where the alphabet starts
again, a new category has begun: its entries' section is unknown, and left empty.
"""

from __future__ import annotations

from dataclasses import replace

from .councils import place_key
from .models import Initiative

ALPHABET_RESTART = 4  # letters an entrant must sort before the last to restart a shortlist


def _order_letter(item: Initiative) -> str:
    return place_key(item.councils[0])[:1] if item.councils else ""


def _restarts(items: list[Initiative], i: int, last: str) -> bool:
    """True when entry `i` sorts well before the entry before it and the next one of its
    section carries on from it: the alphabet of a shortlist has started again."""
    letter = _order_letter(items[i])
    later = [_order_letter(n) for n in items[i + 1 :] if n.section == items[i].section]
    after = next((f for f in later if f), "")
    return bool(last) and ord(letter) < ord(last) - ALPHABET_RESTART and letter <= after <= last


def end_unheaded_categories(items: list[Initiative], categories: set[str]) -> list[Initiative]:
    """Clear an award category's label from its entries after its list ends unheaded.

    Shortlists run alphabetically by entrant; where the alphabet starts again a new category
    has begun whose heading the report lacks, so those entries' section is unknown."""
    result: list[Initiative] = []
    section, last, ended = "", "", False
    for i, item in enumerate(items):
        if item.section != section:
            section, last, ended = item.section, "", False
        if item.section in categories and _order_letter(item) and not ended:
            ended = _restarts(items, i, last)
            last = _order_letter(item)
        result.append(replace(item, section="") if ended else item)
    return result
