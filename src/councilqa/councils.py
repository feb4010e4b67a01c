"""Finding and normalising council names in report text.

Holds the rules that turn "Southwark Council", "Islington LBC" or "Royal Borough of
Greenwich" into one normalised name per council, and `place_key`, which lets aliases of one
council ("Sandwell Council", "Sandwell Metropolitan Borough Council") be matched and merged.
It deliberately knows no report: only English naming conventions for local authorities.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache

# The 32 London boroughs; their councils are normalised to "London Borough of X".
LONDON_BOROUGHS = frozenset(
    [
        "Barking and Dagenham", "Barnet", "Bexley", "Brent", "Bromley", "Camden", "Croydon",
        "Ealing", "Enfield", "Greenwich", "Hackney", "Hammersmith and Fulham", "Haringey",
        "Harrow", "Havering", "Hillingdon", "Hounslow", "Islington", "Kensington and Chelsea",
        "Kingston upon Thames", "Lambeth", "Lewisham", "Merton", "Newham", "Redbridge",
        "Richmond upon Thames", "Southwark", "Sutton", "Tower Hamlets", "Waltham Forest",
        "Wandsworth", "Westminster",
    ]
)  # fmt: skip
ROYAL_BOROUGHS = frozenset({"Greenwich", "Kensington and Chelsea", "Kingston upon Thames"})

# Capitalised words that start sentences or name parties, never a place.
_NOT_PLACE = frozenset(
    [
        "a",
        "about",
        "across",
        "after",
        "also",
        "an",
        "and",
        "as",
        "at",
        "before",
        "both",
        "but",
        "by",
        "during",
        "each",
        "every",
        "following",
        "for",
        "from",
        "further",
        "here",
        "how",
        "in",
        "into",
        "its",
        "labour",
        "conservative",
        "liberal",
        "green",
        "lib",
        "dem",
        "local",
        "mayor",
        "meanwhile",
        "new",
        "next",
        "now",
        "of",
        "on",
        "our",
        "over",
        "parish",
        "since",
        "so",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "those",
        "through",
        "to",
        "today",
        "under",
        "unlike",
        "when",
        "where",
        "whereas",
        "which",
        "while",
        "with",
        "within",
        "your",
        "we",
        "our",
        "district",
        "county",
        "city",
        "borough",
        "town",
        "metropolitan",
        "council",
        "councils",
        "full",
        "associate",
        "affiliate",
        "co-operative",
        "cooperative",
        "member",
        "members",
        "another",
        "other",
        "one",
        "any",
        "all",
        "many",
        "most",
        "some",
        "arts",
        "youth",
        "advisory",
        "research",
        "british",
        "european",
        "national",
        "privy",
        "similarly",
        "likewise",
        "additionally",
        "elsewhere",
        "here",
        "leader",
        "cabinet",
    ]
)

# A capitalised word that is not itself part of a council suffix, so that two councils
# joined by "and" ("Islington LBC and Camden LBC") are never read as one place.
_WORD = r"(?!(?:Council|Borough|LBC|MBC|MDC|BC|DC|CC|Combined)\b)[A-Z][A-Za-z'’\-]*"
_JOIN = r"(?:[ \t]+(?:and|&|upon|on|of|in|le|under)[ \t]+|[ \t]+)"  # never across lines
_PLACE = rf"{_WORD}(?:{_JOIN}{_WORD}){{0,5}}?"  # lazy: the suffix decides where it ends
_SUFFIX = (
    r"Metropolitan Borough Council|Metropolitan District Council|London Borough Council|"
    r"County Borough Council|Borough Council|District Council|County Council|City Council|"
    r"Town Council|Council|Combined Authority|LBC|MBC|MDC|BC|DC|CC"
)
_SUFFIX_RE = re.compile(rf"(?P<place>{_PLACE})\s+(?P<suffix>{_SUFFIX})(?![A-Za-z])")
_PREFIX_RE = re.compile(
    rf"(?P<kind>London Borough|Royal Borough) of (?P<place>{_PLACE.rstrip('?')})"
)
_ABBREVIATIONS = {
    "LBC": "London Borough Council",
    "MBC": "Metropolitan Borough Council",
    "MDC": "Metropolitan District Council",
    "BC": "Borough Council",
    "DC": "District Council",
    "CC": "County Council",
}
_MARKUP = re.compile(r"[*#_]+")


def _trim_place(place: str) -> str:
    """Drop leading words that cannot start a place name ("In", "Through", "Labour"...)."""
    words = place.split()
    while words and words[0].lower() in _NOT_PLACE:
        words.pop(0)
    while words and words[-1].lower() in {"and", "&", "of", "on", "upon", "in", "under", "le"}:
        words.pop()
    return " ".join(words)


def normalise_council(place: str, suffix: str) -> str | None:
    """Turn a place and a council suffix into one normalised council name, or None."""
    city_of = re.search(r"\bCity of (.+)$", place)
    if city_of and suffix == "Council":
        place, suffix = city_of[1], "City Council"
    place = _trim_place(place.replace("&", "and"))
    if not place or place.lower() in _NOT_PLACE:
        return None
    suffix = _ABBREVIATIONS.get(suffix, suffix)
    if suffix == "Combined Authority":
        return f"{place} Combined Authority"
    if place in LONDON_BOROUGHS and suffix in {
        "Council",
        "Borough Council",
        "London Borough Council",
    }:
        if place == "Westminster":
            return "Westminster City Council"
        kind = "Royal Borough" if place in ROYAL_BOROUGHS else "London Borough"
        return f"{kind} of {place}"
    return f"{place} {suffix}"


def _known_borough(place: str) -> str:
    """The London borough a greedy "London Borough of ..." capture starts with, if any."""
    for borough in sorted(LONDON_BOROUGHS, key=len, reverse=True):
        if place.replace("&", "and").startswith(borough):
            return borough
    return place


def find_councils(text: str) -> list[str]:
    """Every council named in `text`, normalised, in order of first mention, without repeats."""
    clean = _MARKUP.sub("", text)
    found: list[tuple[int, str]] = []
    prefixed: list[tuple[int, int]] = []
    for m in _PREFIX_RE.finditer(clean):
        place = _trim_place(_known_borough(m["place"]).replace("&", "and"))
        if place:
            found.append((m.start(), f"{m['kind']} of {place}"))
            prefixed.append(m.span())
    for m in _SUFFIX_RE.finditer(clean):
        name = normalise_council(m["place"], m["suffix"])
        overlaps = any(a < m.end() and m.start() < b for a, b in prefixed)
        if name and not overlaps:
            found.append((m.start(), name))
    ordered: list[str] = []
    for _, name in sorted(found):
        if name not in ordered:
            ordered.append(name)
    return ordered


def place_key(council: str) -> str:
    """The place a council name refers to, lower-cased: the key that aliases share."""
    name = " ".join(council.replace("&", "and").split())
    name = re.sub(r"^(london borough|royal borough) of ", "", name, flags=re.I)
    name = re.sub(rf"\s+(?:{_SUFFIX})$", "", name, flags=re.I)
    return name.strip().lower()


def canonical_names(names: Iterable[str]) -> dict[str, str]:
    """Map each name to its place's canonical form: the most frequent, then the longest."""
    by_place: dict[str, Counter[str]] = {}
    for name in names:
        by_place.setdefault(place_key(name), Counter())[name] += 1
    canonical = {
        key: max(counts, key=lambda n: (n.startswith(("London", "Royal")), counts[n], len(n)))
        for key, counts in by_place.items()
    }
    return {name: canonical[place_key(name)] for key in by_place for name in by_place[key]}


@lru_cache(maxsize=32)
def _places_pattern(keys: tuple[str, ...]) -> re.Pattern[str]:
    # One alternation, longest first, so the longest place wins at each position.
    alternatives = "|".join(re.escape(k) for k in sorted(keys, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z])(?:{alternatives})(?![A-Za-z])", re.IGNORECASE)


def find_places(text: str, gazetteer: dict[str, str]) -> list[str]:
    """Councils whose place name (a gazetteer key, e.g. "lewisham") stands in `text`.

    Used for entries that never name their council; longer places win over the places
    they contain ("Greater Manchester" over "Manchester"). A place must be capitalised.
    """
    if not gazetteer:
        return []
    clean = _MARKUP.sub("", text).replace("&", "and")
    ordered: list[str] = []
    for m in _places_pattern(tuple(gazetteer)).finditer(clean):
        name = gazetteer[" ".join(m.group().lower().split())]
        if clean[m.start()].isupper() and name not in ordered:
            ordered.append(name)
    return ordered
