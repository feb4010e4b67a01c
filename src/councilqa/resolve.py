"""The one step that looks across reports: council names and the gazetteer of places.

Parsing a report (ingest) is otherwise local to it. Here the councils every report names
become one gazetteer (so "In Cheshire West and Chester, …" is read as naming that council
in any report) and each council's aliases are merged into one name across the corpus.
Because this step can change another report's initiatives, the build re-embeds exactly the
chunks whose indexed text changed, not whole reports (see build).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from .councils import canonical_names, find_councils, place_key
from .ingest import parse_report
from .models import Initiative


def build_gazetteer(texts: list[str]) -> dict[str, str]:
    """Place key -> canonical council name, for every council any report names."""
    canonical = canonical_names(c for text in texts for c in find_councils(text))
    return {place_key(name): name for name in canonical.values()}


def resolve_councils(initiatives: list[Initiative]) -> list[Initiative]:
    """Merge aliases of one council across the corpus into one normalised name."""
    canonical = canonical_names(c for i in initiatives for c in i.councils)
    resolved = []
    for item in initiatives:
        councils = tuple(dict.fromkeys(canonical[c] for c in item.councils))
        resolved.append(replace(item, councils=councils))
    return resolved


def parse_corpus(texts: Mapping[str, str]) -> list[Initiative]:
    """Parse every report's text (source -> text) into initiatives, councils merged."""
    gazetteer = build_gazetteer(list(texts.values()))
    initiatives: list[Initiative] = []
    for source, text in texts.items():
        initiatives += parse_report(source, text, gazetteer)
    return resolve_councils(initiatives)
