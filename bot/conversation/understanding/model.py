"""The statistical half of understanding: a linear model over TF-IDF features.

Trained at start-up from the corpus (about a third of a second; cached per process and
per corpus fingerprint), so there is no model file to review or to go stale, and nothing
is ever unpickled. scikit-learn fits the model; scoring one text is done here with the
fitted vocabulary, idf and coefficients, because scikit-learn's per-call input checks
cost more than the arithmetic (0.9 ms against about 0.05 ms per text).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.svm import LinearSVC

from bot.conversation.understanding import corpus
from bot.conversation.understanding.features import BLOCKS

# Regularisation of the linear SVM, and the extra weight of an urgent text in training
# (a missed emergency costs far more than a false alarm); both chosen by 5-fold
# cross-validation on the training files (bench/understanding_cv.py).
C = 0.5
CLASS_WEIGHT = {"urgent": 2.0}


@dataclass(frozen=True)
class Prediction:
    label: str
    score: float  # the winning label's decision value (> 0: on the label's side)
    ranking: tuple[tuple[str, float], ...]  # every label, best first
    evidence: tuple[str, ...]  # the features that pushed most toward `label`

    def score_of(self, label: str) -> float:
        return dict(self.ranking).get(label, -math.inf)


class Classifier:
    """Text -> label, with the evidence for it. Deterministic for a given corpus."""

    def __init__(self, examples: Sequence[corpus.Example]) -> None:
        texts = [ex.text for ex in examples]
        self.blocks = [TfidfVectorizer(analyzer=block, sublinear_tf=True) for block in BLOCKS]
        matrix = sparse.hstack([v.fit_transform(texts) for v in self.blocks]).tocsr()
        self.svm = LinearSVC(C=C, class_weight=CLASS_WEIGHT, random_state=0).fit(
            matrix, [ex.label for ex in examples]
        )
        self.labels: tuple[str, ...] = tuple(str(label) for label in self.svm.classes_)
        # Per block: its analyzer, feature -> column, idf; columns follow block by block.
        self._blocks, offset = [], 0
        for vectorizer in self.blocks:
            vocab = {f: j + offset for f, j in vectorizer.vocabulary_.items()}
            self._blocks.append((vectorizer.analyzer, vocab, vectorizer.idf_, offset))
            offset += len(vocab)
        self._weights = np.ascontiguousarray(self.svm.coef_.T)  # column -> per-label weight
        self._bias = self.svm.intercept_
        self._names = {j: f for _, vocab, _, _ in self._blocks for f, j in vocab.items()}

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The feature matrix as scikit-learn builds it (tests compare the fast path to it)."""
        return sparse.hstack([v.transform(texts) for v in self.blocks]).tocsr()

    def _vector(self, text: str) -> tuple[list[int], np.ndarray]:
        """The text's TF-IDF entries, each block L2-normalised (as transform() gives)."""
        idx: list[int] = []
        values: list[float] = []
        for analyzer, vocab, idf, offset in self._blocks:
            block = []
            for feature, count in Counter(analyzer(text)).items():
                j = vocab.get(feature)
                if j is not None:
                    idx.append(j)
                    block.append((1.0 + math.log(count)) * idf[j - offset])
            norm = math.sqrt(sum(v * v for v in block)) or 1.0
            values.extend(v / norm for v in block)
        return idx, np.asarray(values)

    def decision(self, text: str) -> np.ndarray:
        idx, values = self._vector(text)
        return values @ self._weights[idx] + self._bias if idx else self._bias.copy()

    def predict(self, text: str) -> Prediction:
        idx, values = self._vector(text)
        scores = values @ self._weights[idx] + self._bias if idx else self._bias
        order = np.argsort(-scores)
        best = int(order[0])
        pushes = values * self._weights[idx, best] if idx else values
        top = [idx[i] for i in np.argsort(-pushes)[:12] if pushes[i] > 0]
        return Prediction(
            label=self.labels[best],
            score=float(scores[best]),
            ranking=tuple((self.labels[i], float(scores[i])) for i in order),
            evidence=_readable(self._names[j] for j in top),
        )


def _readable(features) -> tuple[str, ...]:
    """Whole words first (what a nurse can read), then a few character pieces."""
    features = list(features)
    words = [f[2:] for f in features if f.startswith("w:") and (" " in f or len(f) > 5)]
    pieces = [f.strip() for f in features if not f.startswith("w:")]
    return tuple(words[:4] or pieces[:3])


@lru_cache(maxsize=2)
def _trained(fingerprint: str) -> Classifier:
    return Classifier(corpus.training_examples())


def default_classifier() -> Classifier:
    """The classifier for the shipped corpus, trained once per process."""
    return _trained(corpus.fingerprint())
