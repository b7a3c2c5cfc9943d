"""Choose the classifier's settings by 5-fold cross-validation on the training files only
(never the held-out part): accuracy, and urgent recall / false alarms for rules + model.

    python bench/understanding_cv.py [--weights 1 2 3] [--thresholds 0 -0.1 -0.2 -0.3]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.conversation.safety import BEREAVEMENT, red_flag  # noqa: E402
from bot.conversation.understanding import corpus, model  # noqa: E402


def cross_validated_scores(examples: list, weight: float) -> tuple[np.ndarray, list[str]]:
    labels = np.array([ex.label for ex in examples])
    scores: list = [None] * len(examples)
    model.CLASS_WEIGHT = {"urgent": weight}
    for train, test in StratifiedKFold(5, shuffle=True, random_state=0).split(examples, labels):
        classifier = model.Classifier([examples[i] for i in train])
        for i in test:
            scores[i] = classifier.decision(examples[i].text)
    return np.array(scores), list(classifier.labels)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--weights", type=float, nargs="+", default=[1.0, 2.0, 3.0])
    ap.add_argument("--thresholds", type=float, nargs="+", default=[0.0, -0.1, -0.2, -0.3])
    args = ap.parse_args()
    examples = corpus.training_examples()
    truth = np.array([ex.label for ex in examples])
    urgent = truth == "urgent"
    rules = np.array(
        [bool((f := red_flag(ex.text)) and f.family != BEREAVEMENT) for ex in examples]
    )
    print(f"{len(examples)} training texts, {urgent.sum()} urgent")
    print("| urgent weight | accuracy | threshold | urgent recall | false alarms |")
    print("|---|---|---|---|---|")
    for weight in args.weights:
        scores, labels = cross_validated_scores(examples, weight)
        accuracy = np.mean(np.array(labels)[scores.argmax(1)] == truth)
        for threshold in args.thresholds:
            alarm = (scores[:, labels.index("urgent")] >= threshold) | rules
            print(
                f"| {weight:g} | {accuracy:.3f} | {threshold:g} | {alarm[urgent].mean():.3f} |"
                f" {int(alarm[~urgent].sum())} |"
            )


if __name__ == "__main__":
    main()
