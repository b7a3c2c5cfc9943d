"""The statistical half of understanding: a linear model over TF-IDF features.

Trained at start-up from the corpus (about half a second; once per process, or once per
gunicorn master with --preload; cached per corpus fingerprint), so there is no model file
to review or to go stale, and nothing is ever unpickled. scikit-learn fits the model;
scoring one text is done here with the fitted vocabulary, idf and coefficients, because
scikit-learn's per-call input checks cost more than the arithmetic (about 0.9 ms against
0.05-0.15 ms per text). tests/test_understanding.py proves the two give the same scores.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse

from bot.conversation.understanding import corpus
from bot.conversation.understanding.features import (
    BLOCKS,
    clean,
    emoji_tokens,
    word_char_ngrams,
    word_features,
)

# Regularisation of the linear SVM, and the extra weight of an urgent text in training
# (a missed emergency costs far more than a false alarm); both chosen by 5-fold
# cross-validation on the training files (bench/understanding_cv.py).
C = 0.5
CLASS_WEIGHT = {"urgent": 2.0}

# Triage (issue 23): a logistic regression for "needs contact now" over the same features,
# its probability moved from the corpus's urgent share to a clinic's real one (Bayes'
# rule on the odds), and a second one that tells self-harm from a symptom among urgent
# texts. The thresholds are chosen by 5-fold cross-validation on the training files at
# that prior, with the costs below (bench/triage_cv.py prints them; EVALUATION.md lists
# them): the classifier alone gives an emergency reply at ALARM_P or more, and a review
# (normal answer, a line to call, a staff flag) from REVIEW_P.
TRIAGE_C = 4.0
REAL_PRIOR = 0.075  # a clinic's month: 5-10 % of texts need contact now
ALARM_P = 0.2
REVIEW_P = 0.1
SELF_HARM_P = 0.3  # of an alarm the rules did not make: answered with 988 from here
EMERGENCY_P = 0.5  # of a symptom alarm the rules did not make: 911 from here, else call now
COSTS = {
    "missed emergency": 100.0,
    "an emergency that only gets a review flag": 30.0,  # seen within hours, not now
    "false emergency reply": 10.0,
    "review flag": 1.0,
}


@dataclass(frozen=True)
class Prediction:
    label: str
    score: float  # the winning label's decision value (> 0: on the label's side)
    ranking: tuple[tuple[str, float], ...]  # every label, best first
    evidence: tuple[str, ...]  # the features that pushed most toward `label`
    p_urgent: float = 0.0  # probability the text needs contact now, at REAL_PRIOR
    p_self_harm: float = 0.0  # of an urgent text: that it is about self-harm
    p_911: float = 0.0  # of an urgent symptom: that it is a sign of 911 (not a call now)

    def score_of(self, label: str) -> float:
        return dict(self.ranking).get(label, -math.inf)


class Classifier:
    """Text -> label, with the evidence for it. Deterministic for a given corpus."""

    def __init__(self, examples: Sequence[corpus.Example]) -> None:
        # scikit-learn loads here, not at import: a command that routes no text skips 1.4 s.
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        texts = [ex.text for ex in examples]
        self.blocks = [TfidfVectorizer(analyzer=block, sublinear_tf=True) for block in BLOCKS]
        matrix = sparse.hstack([v.fit_transform(texts) for v in self.blocks]).tocsr()
        self.svm = LinearSVC(C=C, class_weight=CLASS_WEIGHT, random_state=0).fit(
            matrix, [ex.label for ex in examples]
        )
        self.labels: tuple[str, ...] = tuple(str(label) for label in self.svm.classes_)
        self._memo: tuple[str | None, Prediction | None] = (None, None)
        # Columns: the character block first, then the word block (as hstack put them).
        chars, words = self.blocks
        self._char_vocab = chars.vocabulary_
        self._word_vocab = {f: j + len(self._char_vocab) for f, j in words.vocabulary_.items()}
        self._idf = np.concatenate([chars.idf_, words.idf_])
        self._weights = np.ascontiguousarray(self.svm.coef_.T)  # column -> per-label weight
        self._bias = self.svm.intercept_
        self._names = {j: f for f, j in (*self._char_vocab.items(), *self._word_vocab.items())}
        self._triage_fit(matrix, examples)
        # Words repeat from text to text: their character n-gram columns are looked up once.
        self._char_columns = lru_cache(maxsize=50_000)(self._char_columns_uncached)

    def _triage_fit(self, matrix: sparse.csr_matrix, examples: Sequence[corpus.Example]) -> None:
        urgent = np.array([ex.label == "urgent" for ex in examples])
        self.urgent_lr = _logistic(matrix, urgent)
        harm = corpus.self_harm_texts()
        harm_y = np.array([ex.text in harm for ex in examples])[urgent]
        self.harm_lr = _logistic(matrix[urgent], harm_y)
        # Among urgent symptom texts the rules read: a sign of 911 (their tier) or not.
        signs, calls = corpus.rule_tiers()
        sign_y = np.array([ex.text in signs for ex in examples])
        known = sign_y | np.array([ex.text in calls for ex in examples])
        self.sign_lr = _logistic(matrix[known], sign_y[known])
        # Odds multiplier from the corpus's urgent share to the clinic's.
        share = urgent.mean()
        self._prior_odds = (REAL_PRIOR / (1 - REAL_PRIOR)) / (share / (1 - share))
        lrs = (self.urgent_lr, self.harm_lr, self.sign_lr)
        heads = np.vstack([lr.coef_[0] for lr in lrs]).T
        bias = np.array([lr.intercept_[0] for lr in lrs])
        # One row per feature: the SVM's label weights, then the heads (one lookup).
        self._rows = np.ascontiguousarray(np.hstack([self._weights, heads]))
        self._row_bias = np.concatenate([self._bias, bias])

    def triage(self, z: np.ndarray) -> tuple[float, float, float]:
        """(P(urgent) at the real prior, P(self-harm | urgent), P(a sign of 911 | urgent
        symptom)) from the heads' logits."""
        odds = math.exp(min(z[0], 50.0)) * self._prior_odds
        return odds / (1 + odds), 1 / (1 + math.exp(-z[1])), 1 / (1 + math.exp(-z[2]))

    def _char_columns_uncached(self, word: str) -> tuple[int, ...]:
        vocab = self._char_vocab
        return tuple(vocab[g] for g in word_char_ngrams(word) if g in vocab)

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """The feature matrix as scikit-learn builds it (tests compare the fast path to it)."""
        return sparse.hstack([v.transform(texts) for v in self.blocks]).tocsr()

    def _vector(self, text: str) -> tuple[list[int], np.ndarray]:
        """The text's TF-IDF entries, each block L2-normalised (as transform() gives)."""
        cleaned = clean(text)
        char_counts = Counter(j for w in cleaned.split() for j in self._char_columns(w))
        word_counts = Counter(
            self._word_vocab[f]
            for f in word_features(cleaned) + emoji_tokens(text)
            if f in self._word_vocab
        )
        idx: list[int] = []
        parts = []
        for counts in (char_counts, word_counts):
            if not counts:
                continue
            columns = list(counts)
            block = (1.0 + np.log(np.fromiter(counts.values(), float))) * self._idf[columns]
            idx.extend(columns)
            parts.append(block / np.sqrt(block @ block))
        return idx, np.concatenate(parts) if parts else np.zeros(0)

    def decision(self, text: str) -> np.ndarray:
        idx, values = self._vector(text)
        return values @ np.take(self._weights, idx, axis=0) + self._bias

    def predict(self, text: str) -> Prediction:
        # The pipeline asks twice about one text (routing, then the review band).
        if self._memo[0] == text:
            return self._memo[1]
        self._memo = (text, self._predict(text))
        return self._memo[1]

    def _predict(self, text: str) -> Prediction:
        idx, values = self._vector(text)
        every = np.take(self._rows, idx, axis=0)  # per feature: label weights, then heads
        logits = values @ every + self._row_bias
        n = len(self.labels)
        rows, scores = every[:, :n], logits[:n]
        ranking = sorted(zip(self.labels, scores.tolist(), strict=True), key=lambda kv: -kv[1])
        best = self.labels.index(ranking[0][0])
        pushes = values * rows[:, best]
        strongest = np.argpartition(-pushes, 12)[:12] if len(pushes) > 12 else range(len(idx))
        top = [idx[i] for i in sorted(strongest, key=lambda i: -pushes[i]) if pushes[i] > 0]
        p_urgent, p_self_harm, p_911 = self.triage(logits[n:])
        return Prediction(
            label=ranking[0][0],
            score=ranking[0][1],
            ranking=tuple(ranking),
            evidence=_readable(self._names[j] for j in top),
            p_urgent=p_urgent,
            p_self_harm=p_self_harm,
            p_911=p_911,
        )


def _logistic(matrix: sparse.csr_matrix, y: np.ndarray):  # noqa: ANN202 - a fitted model
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(C=TRIAGE_C, solver="liblinear", max_iter=1000).fit(matrix, y)


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


class Shipped:
    """The shipped corpus's classifier, trained the first time it is asked anything: a
    command that routes no text (most `flask` commands) never spends the seconds."""

    def __init__(self) -> None:
        self._model: Classifier | None = None

    def __getattr__(self, name: str):  # noqa: ANN204 - whatever the classifier has
        if self._model is None:
            self._model = default_classifier()
        return getattr(self._model, name)
