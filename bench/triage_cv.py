"""Choose the triage thresholds (ALARM_P, REVIEW_P in understanding/model.py) by 5-fold
cross-validation on the training files only, at a clinic's urgent prior.

Each text's out-of-fold P(urgent) comes from a model that never saw it; texts are then
weighted so urgent ones are REAL_PRIOR of the total (the corpus is about a quarter urgent),
and the pair of thresholds with the lowest expected cost per 1,000 texts wins.

    python bench/triage_cv.py [--prior 0.075] [--with-rules] [--max-review 50]

Only pairs that give at most --max-review review flags per 1,000 ordinary texts compete
(issue 23: review <= 5 %).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.conversation.understanding import corpus, model  # noqa: E402


def out_of_fold(examples: list) -> np.ndarray:
    labels = np.array([ex.label for ex in examples])
    p = np.zeros(len(examples))
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(examples, labels):
        classifier = model.Classifier([examples[i] for i in train])
        for i in test:
            p[i] = classifier.predict(examples[i].text).p_urgent
    return p


def cost(p: np.ndarray, urgent: np.ndarray, w: np.ndarray, alarm: float, review: float) -> float:
    c = model.COSTS
    alarmed, reviewed = p >= alarm, (p >= review) & (p < alarm)
    reviewed_cost = c["an emergency that only gets a review flag"]
    missed = np.where(reviewed, reviewed_cost, c["missed emergency"])
    per_text = np.where(
        urgent,
        np.where(alarmed, 0.0, missed),
        np.where(alarmed, c["false emergency reply"], np.where(reviewed, c["review flag"], 0.0)),
    )
    return float((per_text * w).sum() / w.sum() * 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prior", type=float, default=model.REAL_PRIOR)
    parser.add_argument("--with-rules", action="store_true", help="rules + classifier")
    parser.add_argument(
        "--max-review", type=float, default=50.0, help="review flags per 1,000 ordinary texts"
    )
    args = parser.parse_args()
    examples = corpus.training_examples()
    urgent = np.array([ex.label == "urgent" for ex in examples])
    p = out_of_fold(examples)
    if args.with_rules:
        # The rules' veto stands beside the classifier: a text they flag is handled.
        from bot.conversation.safety import BEREAVEMENT, red_flag

        ruled = [red_flag(ex.text) for ex in examples]
        p = np.where([bool(f) and f.family != BEREAVEMENT for f in ruled], 1.0, p)
    share = urgent.mean()
    w = np.where(urgent, args.prior / share, (1 - args.prior) / (1 - share))
    grid = [round(x, 2) for x in np.arange(0.05, 1.0, 0.05)]
    def reviews(a: float, r: float) -> float:
        return ((p[~urgent] >= r) & (p[~urgent] < a)).mean() * 1000

    results = sorted(
        (cost(p, urgent, w, a, r), a, r)
        for a in grid
        for r in grid
        if r <= a and reviews(a, r) <= args.max_review
    )
    print(f"training texts {len(examples)}, urgent share {share:.1%}, prior {args.prior:.1%}")
    print("cost/1000  ALARM_P  REVIEW_P  urgent alarmed  urgent reviewed  ordinary alarmed/1000"
          "  ordinary reviewed/1000")
    for total, a, r in results[:8]:
        ua, ur = (p[urgent] >= a).mean(), ((p[urgent] >= r) & (p[urgent] < a)).mean()
        oa = (p[~urgent] >= a).mean() * 1000
        orv = ((p[~urgent] >= r) & (p[~urgent] < a)).mean() * 1000
        print(f"{total:9.1f}  {a:7.2f}  {r:8.2f}  {ua:14.1%}  {ur:15.1%}  {oa:21.1f}  {orv:22.1f}")


if __name__ == "__main__":
    main()
