"""Pure fusion and filter functions against hand computations."""

import pytest

from councilqa.fusion import first_per_group, fuse_groups, rrf


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


def test_fuse_groups_by_hand():
    # c1, c2 belong to initiative A; c3 to B. bm25: c2, c3, c1; dense: c3, c1.
    group = {"c1": "A", "c2": "A", "c3": "B"}
    rankings = {
        "bm25": [("c2", 9.0), ("c3", 5.0), ("c1", 1.0)],
        "dense": [("c3", 0.9), ("c1", 0.8)],
    }
    fused = fuse_groups(rankings, group, k=10, weights={"bm25": 1.0, "dense": 2.0})
    # Initiative level: bm25 A=1, B=2; dense B=1, A=2.
    # A = 1/11 + 2/12 = 0.25758, B = 1/12 + 2/11 = 0.26515: B first.
    assert [f.group for f in fused] == ["B", "A"]
    assert fused[0].score == pytest.approx(1 / 12 + 2 / 11)
    assert fused[1].score == pytest.approx(1 / 11 + 2 / 12)
    # Chunk level picks A's chunk: c1 = 1/13 + 2/12 = 0.2436 beats c2 = 1/11 = 0.0909.
    assert fused[1].best_chunk == "c1"
    assert fused[1].evidence == {"bm25": (9.0, 1), "dense": (0.8, 2)}
    assert fused[0].evidence == {"bm25": (5.0, 2), "dense": (0.9, 1)}


def test_fuse_groups_skips_empty_rankings():
    fused = fuse_groups({"bm25": [], "dense": [("c1", 0.5)]}, {"c1": "A"}, 60, {"dense": 1.5})
    assert [(f.group, f.score) for f in fused] == [("A", pytest.approx(1.5 / 61))]
    assert fuse_groups({}, {}, 60, {}) == []


def test_best_per_group_is_the_first_of_each_group_by_score():
    """Against the reference: sort by score (ties by first appearance), keep each group's
    first; over random rankings with many ties."""
    import random

    from councilqa.fusion import best_per_group, rrf_scores

    rng = random.Random(7)
    for _ in range(200):
        ids = [f"c{i}" for i in range(rng.randint(1, 30))]
        group_of = {c: f"g{rng.randint(0, 5)}" for c in ids}
        rankings = [rng.sample(ids, rng.randint(0, len(ids))) for _ in range(rng.randint(1, 3))]
        reference: dict[str, str] = {}
        for c, _ in rrf(rankings, k=2):
            reference.setdefault(group_of[c], c)
        assert best_per_group(rrf_scores(rankings, k=2), group_of) == reference
