"""Finding and normalising council names in report text.

Holds the rules that turn "Southwark Council", "Islington LBC" or "Royal Borough of
Greenwich" into one normalised name per council, and `place_key`, which lets aliases of one
council ("Sandwell Council", "Sandwell Metropolitan Borough Council", a misspelt
"South Glouchestershire Council") be matched and merged. The word lists it needs (London
boroughs, council areas with joining words, words that are never a place, abbreviations)
are plain text files in `data/`, loaded once. It deliberately knows no report: only English
naming conventions for local authorities; it does not check names against a register.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib.resources import files


def _data_lines(name: str) -> list[str]:
    """Entries of a data file: one a line, blank lines and `#` comments skipped."""
    text = files("councilqa").joinpath("data", name).read_text(encoding="utf-8")
    lines = (line.split("#", 1)[0].strip() for line in text.splitlines())
    return [line for line in lines if line]


def _pairs(name: str) -> dict[str, str]:
    """A data file of "key | value" lines as a mapping (value "" where none is given)."""
    pairs = (line.split("|", 1) + [""] for line in _data_lines(name))
    return {key.strip(): value.strip() for key, value, *_ in pairs}


_BOROUGHS = _pairs("london_boroughs.txt")  # borough -> "", "royal" or "city"
LONDON_BOROUGHS = frozenset(_BOROUGHS)
ROYAL_BOROUGHS = frozenset(b for b, kind in _BOROUGHS.items() if kind == "royal")
_NOT_PLACE = frozenset(word.lower() for word in _data_lines("not_place_words.txt"))
_ABBREVIATIONS = _pairs("abbreviations.txt")
_COMPOUND_PLACES = tuple(
    sorted(_data_lines("compound_places.txt"), key=len, reverse=True)
)  # longest first, so the longest known name wins

# A capitalised word that is not itself part of a council suffix, so that two councils
# joined by "and" ("Islington LBC and Camden LBC") are never read as one place.
_WORD = r"(?!(?:Council|Borough|LBC|MBC|MDC|BC|DC|CC|Combined)\b)[A-Z][A-Za-z'’\-]*"
_JOIN = r"(?:,?[ \t]+(?:and|&|upon|on|of|in|le|under|with)[ \t]+|,?[ \t]+)"  # never across lines
_PLACE = rf"{_WORD}(?:{_JOIN}{_WORD}){{0,5}}?"  # lazy: the suffix decides where it ends
_SUFFIX = (
    r"Metropolitan Borough Council|Metropolitan District Council|London Borough Council|"
    r"County Borough Council|Borough Council|District Council|County Council|City Council|"
    r"Town Council|Metropolitan Council|Council|Combined Authority|LBC|MBC|MDC|BC|DC|CC"
)
_SUFFIX_RE = re.compile(rf"(?P<place>{_PLACE})\s+(?P<suffix>{_SUFFIX})(?![A-Za-z])")
_PREFIX_RE = re.compile(
    rf"(?P<kind>London Borough|Royal Borough) of (?P<place>{_PLACE.rstrip('?')})"
)
_JOINER = re.compile(r",\s*|\s+(?:and|of|with|upon|on|in|under|le)\s+")
_MARKUP = re.compile(r"[*#_]+")


def _trim_place(place: str) -> str:
    """Drop leading words that cannot start a place name ("In", "Through", "Labour"...)."""
    words = place.split()
    while words and words[0].lower().strip(",") in _NOT_PLACE:
        words.pop(0)
    while words and words[-1].lower() in {"and", "&", "of", "on", "upon", "in", "under", "le"}:
        words.pop()
    return " ".join(words).strip(", ")


def _own_place(place: str) -> str:
    """The place a capture names: a known council area it ends with, else the words after its
    last joining word ("Talent Clouds and Essex" is Essex, "Leader of Stevenage" Stevenage)."""
    if not _JOINER.search(place):
        return place
    for known in _COMPOUND_PLACES:
        if place == known or place.endswith((" " + known, "," + known)):
            return known
    return _trim_place(_JOINER.split(place)[-1])


def normalise_council(place: str, suffix: str) -> str | None:
    """Turn a place and a council suffix into one normalised council name, or None."""
    city_of = re.search(r"\bCity of (.+)$", place)
    if city_of and suffix == "Council":
        place, suffix = city_of[1], "City Council"
    place = _own_place(_trim_place(place.replace("&", "and")))
    if not place or place.split()[-1].lower() in _NOT_PLACE:
        return None  # "Most Improved Council", "Bassetlaw Youth Council": not a local authority
    suffix = _ABBREVIATIONS.get(suffix, suffix)
    if suffix == "Combined Authority":
        return f"{place} Combined Authority"
    if place in LONDON_BOROUGHS and suffix in {
        "Council",
        "Borough Council",
        "London Borough Council",
    }:
        if _BOROUGHS[place] == "city":
            return f"{place} City Council"
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
    name = " ".join(council.replace("&", "and").replace(",", "").split())
    name = re.sub(r"^(london borough|royal borough) of ", "", name, flags=re.I)
    name = re.sub(rf"\s+(?:{_SUFFIX})$", "", name, flags=re.I)
    return name.strip().lower()


def _one_edit_apart(a: str, b: str) -> bool:
    """True when `b` is `a` with one character inserted, deleted or replaced."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = 0
    while i < min(len(a), len(b)) and a[i] == b[i]:
        i += 1
    return a[i + 1 :] == b[i + 1 :] or a[i + 1 :] == b[i:] or a[i:] == b[i + 1 :]


def _merge_misspellings(by_place: dict[str, Counter[str]]) -> dict[str, str]:
    """Map each place key to the key it is a misspelling of (itself when none).

    Only long keys merge, one typing slip apart ("south glouchestershire"); short names
    one letter apart are different places (Derby and Derry)."""
    order = sorted(by_place, key=lambda k: -sum(by_place[k].values()))
    kept: list[str] = []
    target: dict[str, str] = {}
    for key in order:
        near = [k for k in kept if len(key) >= 10 and _one_edit_apart(k, key)]
        target[key] = near[0] if near else key
        if not near:
            kept.append(key)
    return target


def canonical_names(names: Iterable[str]) -> dict[str, str]:
    """Map each name to its place's canonical form: the most frequent, then the longest."""
    by_place: dict[str, Counter[str]] = {}
    for name in names:
        by_place.setdefault(place_key(name), Counter())[name] += 1
    target = _merge_misspellings(by_place)
    merged: dict[str, Counter[str]] = {}
    for key, counts in by_place.items():
        merged.setdefault(target[key], Counter()).update(counts)
    canonical = {
        key: max(counts, key=lambda n: (n.startswith(("London", "Royal")), counts[n], len(n)))
        for key, counts in merged.items()
    }
    return {name: canonical[target[key]] for key in by_place for name in by_place[key]}


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
