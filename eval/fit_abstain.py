"""Fit the abstention model on the dev split; judge it on the held-out test split.

Usage: PYTHONPATH=src python eval/fit_abstain.py [--write]

For every gold question: the top 10 hybrid hits with the current settings, their
per-question signals (`support.question_features`), and whether it is answerable. A
logistic regression (features standardised, classes balanced) is cross-validated on dev
(stratified 4-fold, out-of-fold probabilities) to draw the trade-off curve and to pick
the threshold: the highest one that abstains on at most 5% of answerable dev questions.
Refitted on all of dev, it is written with --write to src/councilqa/abstain.json as plain
numbers. The test split is scored once, after the choice, and never used to make it.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

from councilqa.config import Settings
from councilqa.eval.gold import load_questions
from councilqa.service import open_service
from councilqa.support import question_features

FEATURES = ("dense", "coverage", "missing", "phrase", "agree")
MAX_WRONG = 0.05  # at most this share of answerable questions may abstain
OUT = Path("src/councilqa/abstain.json")


def curve(p: np.ndarray, answerable: np.ndarray) -> list[tuple[float, float, float]]:
    """(threshold, share of unanswerable abstaining, share of answerable abstaining)."""
    out = []
    for t in sorted(set(np.round(p, 3).tolist()) | {0.0}):
        abstain = p < t
        out.append((t, abstain[~answerable].mean(), abstain[answerable].mean()))
    return out


def pick(points: list[tuple[float, float, float]]) -> float:
    """The threshold catching the most unanswerable with answerable abstention ≤ MAX_WRONG."""
    ok = [pt for pt in points if pt[2] <= MAX_WRONG]
    return max(ok, key=lambda pt: (pt[1], -pt[0]))[0]


def main() -> int:
    """Print the CV curve and the test result; write the model with --write."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    service = open_service(Settings())
    questions = load_questions(Path("eval/questions.jsonl"), service.catalog.text)
    rows = []
    for q in questions:
        hits = service.searcher.search(q.question, 10, "hybrid")
        f = question_features([h.scores for h in hits])
        rows.append(([f[n] for n in FEATURES], q.kind != "unanswerable", q.split))
    x = np.array([r[0] for r in rows])
    y = np.array([r[1] for r in rows])
    dev = np.array([r[2] == "dev" for r in rows])
    mean, scale = x[dev].mean(axis=0), x[dev].std(axis=0) + 1e-9
    z = (x - mean) / scale
    model = LogisticRegression(C=1.0, class_weight="balanced")
    oof = np.zeros(int(dev.sum()))
    for train, held in StratifiedKFold(4, shuffle=True, random_state=0).split(z[dev], y[dev]):
        oof[held] = model.fit(z[dev][train], y[dev][train]).predict_proba(z[dev][held])[:, 1]
    points = curve(oof, y[dev])
    threshold = pick(points)
    print("dev CV (out of fold): threshold, unanswerable abstaining, answerable abstaining")
    for t, u, a in points:
        if a <= 0.35:
            print(f"  {t:.3f}  {u:.2f}  {a:.2f}{'  <- chosen' if t == threshold else ''}")
    model.fit(z[dev], y[dev])
    p_test = model.predict_proba(z[~dev])[:, 1]
    abstain = p_test < threshold
    print(f"test: {abstain[~y[~dev]].mean():.2f} of unanswerable abstain "
          f"({abstain[~y[~dev]].sum()}/{(~y[~dev]).sum()}), {abstain[y[~dev]].mean():.2f} "
          f"of answerable ({abstain[y[~dev]].sum()}/{y[~dev].sum()})")  # fmt: skip
    print("test curve: ", [(t, round(u, 2), round(a, 2)) for t, u, a in curve(p_test, y[~dev])])
    print("coefficients:", dict(zip(FEATURES, np.round(model.coef_[0], 3), strict=True)))
    if args.write:
        OUT.write_text(json.dumps({
            "features": FEATURES, "coef": model.coef_[0].round(6).tolist(),
            "bias": round(float(model.intercept_[0]), 6), "mean": mean.round(6).tolist(),
            "scale": scale.round(6).tolist(), "threshold": threshold,
            "fitted_on": "eval/questions.jsonl dev split, by eval/fit_abstain.py",
        }, indent=1) + "\n")  # fmt: skip
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
