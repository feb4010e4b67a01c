"""Choose, fit and judge the abstention model: chosen on the dev split, judged on test.

Usage: PYTHONPATH=src python eval/fit_abstain.py [--write]

For every gold question: the top 10 hybrid hits an answer is built from, their
per-question signals (`support.question_features`), and whether it is answerable.
1. Feature choice (dev only): every subset of up to four signals and two regularisation
   strengths; each is scored by stratified 4-fold cross-validation on dev, repeated with
   five shuffles: the share of unanswerable questions caught at the threshold where at
   most 5% of answerable ones abstain (out-of-fold), ties broken by ROC AUC.
2. Threshold (dev only): on the chosen model's out-of-fold probabilities, the highest
   threshold catching the most unanswerable with at most 5% of answerable abstaining.
3. Refitted on all of dev, it is written with --write to src/councilqa/abstain.json as
   plain numbers. The test split is scored once, after the choice, and never used for it.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedKFold

from councilqa.config import Settings
from councilqa.eval.gold import load_questions
from councilqa.service import open_service
from councilqa.support import question_features

CANDIDATES = ("dense", "coverage", "missing", "phrase", "agree", "n_terms")
STRENGTHS = (0.1, 1.0)  # LogisticRegression C
MAX_WRONG = 0.05  # at most this share of answerable questions may abstain
OUT = Path("src/councilqa/abstain.json")


def collect() -> tuple[list[dict[str, float]], np.ndarray, np.ndarray]:
    """(features per question, answerable?, in dev?) for every gold question."""
    service = open_service(Settings())
    questions = load_questions(Path("eval/questions.jsonl"), service.catalog.text)
    feats = []
    for q in questions:
        hits = service.searcher.answer_hits(q.question, 10, "hybrid")[:10]
        feats.append(question_features(q.question, [h.scores for h in hits]))
    answerable = np.array([q.kind != "unanswerable" for q in questions])
    return feats, answerable, np.array([q.split == "dev" for q in questions])


def matrix(feats: list[dict[str, float]], names: tuple[str, ...], dev: np.ndarray):
    """Features standardised with dev's mean and spread: (z, mean, scale)."""
    x = np.array([[f[n] for n in names] for f in feats])
    mean, scale = x[dev].mean(axis=0), x[dev].std(axis=0) + 1e-9
    return (x - mean) / scale, mean, scale


def out_of_fold(z: np.ndarray, y: np.ndarray, c: float, seed: int) -> np.ndarray:
    """Out-of-fold P(answerable) from stratified 4-fold cross-validation."""
    model = LogisticRegression(C=c, class_weight="balanced")
    oof = np.zeros(len(y))
    for train, held in StratifiedKFold(4, shuffle=True, random_state=seed).split(z, y):
        oof[held] = model.fit(z[train], y[train]).predict_proba(z[held])[:, 1]
    return oof


def curve(p: np.ndarray, answerable: np.ndarray) -> list[tuple[float, float, float]]:
    """(threshold, share of unanswerable abstaining, share of answerable abstaining)."""
    out = []
    for t in sorted(set(np.round(p, 3).tolist()) | {0.0}):
        abstain = p < t
        out.append((t, abstain[~answerable].mean(), abstain[answerable].mean()))
    return out


def pick(points: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """The point catching the most unanswerable with answerable abstention ≤ MAX_WRONG."""
    ok = [pt for pt in points if pt[2] <= MAX_WRONG]
    return max(ok, key=lambda pt: (pt[1], -pt[0]))


def choose(feats, y, dev) -> tuple[tuple[str, ...], float]:
    """The feature subset and strength with the best repeated dev CV (module docstring)."""
    scored = []
    for k in range(1, 5):
        for names, c in itertools.product(itertools.combinations(CANDIDATES, k), STRENGTHS):
            z = matrix(feats, names, dev)[0][dev]
            runs = [out_of_fold(z, y[dev], c, seed) for seed in range(5)]
            caught = np.mean([pick(curve(p, y[dev]))[1] for p in runs])
            auc = np.mean([roc_auc_score(y[dev], p) for p in runs])
            scored.append((round(caught, 3), round(auc, 3), names, c))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    print("feature choice (dev CV, 5 shuffles): caught at <=5% answerable, AUC, features, C")
    for s in scored[:8]:
        print(f"  {s[0]:.3f}  {s[1]:.3f}  {','.join(s[2])}  C={s[3]}")
    return scored[0][2], scored[0][3]


def report(p: np.ndarray, y: np.ndarray, threshold: float, label: str) -> None:
    """Print how many unanswerable and answerable questions abstain at `threshold`."""
    abstain = p < threshold
    print(f"{label}: {abstain[~y].sum()}/{(~y).sum()} unanswerable abstain "
          f"({abstain[~y].mean():.2f}), {abstain[y].sum()}/{y.sum()} answerable "
          f"({abstain[y].mean():.2f})")  # fmt: skip


def main() -> int:
    """Choose on dev, print the curve and the test result; write the model with --write."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--write", action="store_true")
    args = ap.parse_args()
    feats, y, dev = collect()
    names, c = choose(feats, y, dev)
    z, mean, scale = matrix(feats, names, dev)
    points = curve(out_of_fold(z[dev], y[dev], c, 0), y[dev])
    threshold = pick(points)[0]
    print(f"chosen: {','.join(names)} C={c}; dev CV curve: threshold, unanswerable, answerable")
    for t, u, a in points:
        if a <= 0.35:
            print(f"  {t:.3f}  {u:.2f}  {a:.2f}{'  <- chosen' if t == threshold else ''}")
    model = LogisticRegression(C=c, class_weight="balanced").fit(z[dev], y[dev])
    report(model.predict_proba(z[~dev])[:, 1], y[~dev], threshold, "test (held out)")
    report(model.predict_proba(z)[:, 1], y, threshold, "whole set (dev in-sample)")
    p_test = model.predict_proba(z[~dev])[:, 1]
    print("test curve:", [(t, round(u, 2), round(a, 2)) for t, u, a in curve(p_test, y[~dev])])
    print("coefficients:", dict(zip(names, np.round(model.coef_[0], 3).tolist(), strict=True)))
    if args.write:
        OUT.write_text(json.dumps({
            "features": names, "coef": model.coef_[0].round(6).tolist(),
            "bias": round(float(model.intercept_[0]), 6), "mean": mean.round(6).tolist(),
            "scale": scale.round(6).tolist(), "threshold": threshold,
            "fitted_on": "eval/questions.jsonl dev split, by eval/fit_abstain.py",
        }, indent=1) + "\n")  # fmt: skip
        print(f"wrote {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
