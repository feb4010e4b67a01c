"""Council names: finding, normalising and merging aliases."""

import pytest

from councilqa.councils import canonical_names, find_councils, find_places, place_key


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("**Liverpool City Council** is now setting up", ["Liverpool City Council"]),
        ("Through **Barnsley Council** we", ["Barnsley Council"]),
        (
            "Islington LBC and Camden LBC",
            ["London Borough of Islington", "London Borough of Camden"],
        ),
        ("Southwark Council have", ["London Borough of Southwark"]),
        ("Royal Borough of Greenwich", ["Royal Borough of Greenwich"]),
        ("City of Wolverhampton Council – Transformation", ["Wolverhampton City Council"]),
        (
            "Derby City Council and Derbyshire CC",
            ["Derby City Council", "Derbyshire County Council"],
        ),
        ("Telford & Wrekin Council", ["Telford and Wrekin Council"]),
        (
            "Bradford MDC and Tower Hamlets LBC",
            ["Bradford Metropolitan District Council", "London Borough of Tower Hamlets"],
        ),
        ("Greater Manchester Combined Authority", ["Greater Manchester Combined Authority"]),
        ("Islington London Borough Council", ["London Borough of Islington"]),
        ("the London Borough of Waltham Forest did", ["London Borough of Waltham Forest"]),
        ("Labour councils and the Council said", []),
        ("Mayor of London Sadiq Khan launched the Council Homes programme", []),
        ("", []),
        ("é", []),
    ],
)
def test_find_councils(text, expected):
    assert find_councils(text) == expected


def test_place_key_merges_aliases():
    assert place_key("Sandwell Metropolitan Borough Council") == place_key("Sandwell Council")
    assert place_key("London Borough of Lambeth") == "lambeth"
    names = ["Sandwell Council", "Sandwell Council", "Sandwell Metropolitan Borough Council"]
    assert set(canonical_names(names).values()) == {"Sandwell Council"}


def test_find_places_prefers_longer_places():
    gazetteer = {
        "manchester": "Manchester City Council",
        "greater manchester": "Greater Manchester Combined Authority",
    }
    assert find_places("Greater Manchester has", gazetteer) == [
        "Greater Manchester Combined Authority"
    ]
    assert find_places("Manchester is a city", gazetteer) == ["Manchester City Council"]
    assert find_places("a manchester tart", gazetteer) == []  # lower case is not a name
