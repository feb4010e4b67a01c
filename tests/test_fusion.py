"""Pure fusion and filter functions against hand computations."""

import pytest

from councilqa.fusion import first_per_group, matches, rrf


def test_rrf_by_hand():
    # a: 1/(60+1) + 1/(60+3) = 0.016393 + 0.015873 = 0.032266
    # b: 1/(60+2) + 1/(60+1) = 0.016129 + 0.016393 = 0.032522
    # c: 1/(60+3)            = 0.015873
    # d: 1/(60+2)            = 0.016129
    fused = rrf([["a", "b", "c"], ["b", "d", "a"]], k=60)
    assert [d for d, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1][1] == pytest.approx(1 / 61 + 1 / 63)
    assert fused[3][1] == pytest.approx(1 / 63)


def test_rrf_weights_and_k():
    # With k=1 and dense (second) weighted 2: a = 1/2 + 2/3 = 1.1667, b = 1/3 + 2/2 = 1.3333
    fused = rrf([["a", "b"], ["b", "a"]], k=1, weights=[1.0, 2.0])
    assert [d for d, _ in fused] == ["b", "a"]
    assert fused[0][1] == pytest.approx(1 / 3 + 2 / 2)
    assert fused[1][1] == pytest.approx(1 / 2 + 2 / 3)


def test_rrf_edge_cases():
    assert rrf([]) == []
    assert rrf([[], []]) == []
    assert rrf([["x"]]) == [("x", pytest.approx(1 / 61))]
    # ties keep first appearance
    assert [d for d, _ in rrf([["p"], ["q"]])] == ["p", "q"]


def test_first_per_group():
    groups = {"c1": "i1", "c2": "i1", "c3": "i2", "c4": "i3", "c5": "i2"}
    assert first_per_group(["c2", "c1", "c5", "c3", "c4"], groups) == ["c2", "c5", "c4"]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, True),
        ({"want_councils": ["Lambeth"]}, True),
        ({"want_councils": ["lambeth council"]}, True),
        ({"want_councils": ["Southwark"]}, False),
        ({"want_sources": ["000.txt"]}, True),
        ({"want_sources": ["001.txt"]}, False),
        ({"want_sections": ["climate"]}, True),
        ({"want_sections": ["housing"]}, False),
        ({"want_councils": ["Lambeth"], "want_sections": ["housing"]}, False),
        ({"want_councils": ["Southwark", "Lambeth"]}, True),
    ],
)
def test_matches(kwargs, expected):
    assert (
        matches(("London Borough of Lambeth",), "000.txt", "Climate Response", **kwargs) is expected
    )
