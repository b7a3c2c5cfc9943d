"""Question -> answer card, by meaning (after safety, compliance and the keyword step).

A linear SVM over each card's phrasings, label and answer (both languages: a card is one
answer whatever language it is asked in), with the features the classifier uses
(character 2-5-grams of the normalised text, words and word pairs): one column of weights
per card. The classifier's topic, when it is sure, adds a bonus to that topic's cards (so
the choice is made across topics when it is unsure). Deterministic, fitted once per
process and card set (a few seconds), no model file.

`choose()` says: a card (sure), choices (close but unsure: "Did you mean 1, 2, 3?") or
nothing (fall back to the closest topics). Sure means the best card leads every card that
says another fact by MARGIN: two cards that share an article sentence (`uses`) answer
alike, so their closeness is no doubt. The thresholds were set by cross-validation on the
cards' own phrasings (bench/answers_cv.py), never on the evaluation set.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from bot.conversation.understanding.features import (
    char_block,
    clean,
    word_block,
    word_char_ngrams,
)
from content.cards import Card, CardSet

# SVM regularisation, decision thresholds and the topic bonus (bench/answers_cv.py, on
# the cards' phrasings; a card's decision value is about +1 on its side, -1 off it).
SVM_C = 1.0
SURE = -0.2  # a card is given at or above this...
MARGIN = 0.6  # ...when it leads every card of another fact by this much (wrong <= 2 %)
CLOSE = -0.4  # below this nothing is offered (the closest topics instead): about 1 in 8
# chat and thanks texts of the corpus reach it, and half the new writer's unanswered lines
TOPIC_BONUS = 0.15  # for the cards of the topic the classifier is sure of
WORD_WEIGHT = 0.5  # the word block's share of a document vector (the rest: characters)
CHOICES = 3
_BLOCKS = (char_block, word_block)
CACHE_WORDS = 50_000  # distinct words whose character columns are kept


@dataclass(frozen=True)
class Pick:
    card: Card | None  # the card to give, when sure
    choices: tuple[Card, ...] = ()  # else the closest cards to offer
    score: float = 0.0


def _exact_phrasings(cards: Sequence[Card]) -> dict[str, int]:
    """A card's own ask lines and labels, cleaned -> the card (a line two cards share
    belongs to neither)."""
    seen: dict[str, set[int]] = {}
    for i, card in enumerate(cards):
        for lang in card.ask:
            for line in (*card.ask[lang], card.label[lang]):
                seen.setdefault(clean(line), set()).add(i)
    return {line: owners.pop() for line, owners in seen.items() if len(owners) == 1}


def _same_fact(cards: Sequence[Card]) -> np.ndarray:
    """cards x cards: True where two cards say one article sentence (or are one card)."""
    uses = [set(card.uses) for card in cards]
    return np.array([[bool(a & b) for b in uses] for a in uses]).reshape(len(cards), len(cards))


def fingerprint(cards: CardSet) -> str:
    """What the index is fitted from: two equal card sets share one fitted index."""
    data = [(c.id, c.topic, c.uses, c.label, c.answer, c.ask) for c in cards.cards]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()


_FITTED: dict[str, CardIndex] = {}


def card_index(cards: CardSet) -> CardIndex:
    """The fitted index for `cards`, fitted once per process (every app shares it)."""
    key = fingerprint(cards)
    if key not in _FITTED:
        if len(_FITTED) >= 4:  # tests fit a few small card sets; keep memory bounded
            _FITTED.pop(next(iter(_FITTED)))
        _FITTED[key] = CardIndex(cards)
    return _FITTED[key]


class CardIndex:
    """The cards as columns of SVM weights, fitted once."""

    def __init__(self, cards: CardSet) -> None:
        self.cards = cards.cards
        self.by_id = cards.by_id()
        docs, owners = [], []
        for i, card in enumerate(self.cards):
            for lang in card.answer:
                texts = (*card.ask[lang], card.label[lang], card.answer[lang])
                docs += texts
                owners += [i] * len(texts)
        # scikit-learn loads here, not at import: a command that routes no text skips 1.4 s.
        from sklearn.feature_extraction.text import TfidfVectorizer

        self.blocks = [TfidfVectorizer(analyzer=b, sublinear_tf=True) for b in _BLOCKS]
        self.weights = (np.sqrt(1 - WORD_WEIGHT), np.sqrt(WORD_WEIGHT))
        self.topics = np.array([card.topic for card in self.cards])
        self.same_fact = _same_fact(self.cards)
        self.exact = _exact_phrasings(self.cards)
        self._char_cache: dict[str, np.ndarray] = {}
        # Features x cards, dense float32 (about 23 MB for 140 cards): a text's rows are
        # gathered and summed in microseconds, where sparse row slicing costs 0.1 ms.
        self.dense, self.bias = self._fit(docs, owners)

    def _fit(self, docs: Sequence[str], owners: list[int]) -> tuple[np.ndarray, np.ndarray]:
        """One-vs-rest weights per card (better than each card's centroid in
        cross-validation: 66 % against 61 % right first card on a new writer's lines)."""
        n = len(self.cards)
        if n < 3:  # too few cards to learn from: every text is as close to each
            return np.zeros((0, n), np.float32), np.zeros(n)
        from sklearn.svm import LinearSVC

        parts = [v.fit_transform(docs) * w for v, w in zip(self.blocks, self.weights, strict=True)]
        self.offsets = (0, len(self.blocks[0].vocabulary_))
        svm = LinearSVC(C=SVM_C, random_state=0).fit(sparse.hstack(parts).tocsr(), owners)
        return np.ascontiguousarray(svm.coef_.T, dtype=np.float32), svm.intercept_

    def _query(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's feature columns and weights, as the fitted vectorizers would give
        them (sublinear tf x idf, each block unit length), without their per-call checks;
        a word's character n-grams are looked up once per process."""
        cleaned = clean(text)
        chars = [self._char_columns(w) for w in cleaned.split()]
        words_ = self.blocks[1].vocabulary_
        blocks = (
            np.concatenate(chars) if chars else np.zeros(0, dtype=np.int64),
            np.fromiter((words_[t] for t in word_block(text) if t in words_), dtype=np.int64),
        )
        cols, vals = [], []
        for found, vec, weight, offset in zip(
            blocks, self.blocks, self.weights, self.offsets, strict=True
        ):
            if not len(found):
                continue
            idx, counts = np.unique(found, return_counts=True)
            w = (1 + np.log(counts)) * vec.idf_[idx]
            cols.append(idx + offset)
            vals.append(weight * w / np.linalg.norm(w))
        if not cols:
            return np.zeros(0, dtype=np.int64), np.zeros(0)
        return np.concatenate(cols), np.concatenate(vals)

    def _char_columns(self, word: str) -> np.ndarray:
        known = self._char_cache.get(word)
        if known is None:
            vocabulary = self.blocks[0].vocabulary_
            grams = word_char_ngrams(word)
            known = np.fromiter((vocabulary[g] for g in grams if g in vocabulary), np.int64)
            if len(self._char_cache) < CACHE_WORDS:
                self._char_cache[word] = known
        return known

    def scores(self, text: str, topic: str | None = None) -> np.ndarray:
        """Each card's cosine with `text`, + the bonus for the classifier's topic."""
        out = np.array(self.bias, dtype=np.float64)
        if not len(self.dense):
            return out
        cols, vals = self._query(text)
        if len(cols):
            out = out + vals.astype(np.float32) @ self.dense[cols]
        if topic is not None:
            out = out + TOPIC_BONUS * (self.topics == topic)
        return out

    def choose(self, text: str, topic: str | None = None, strict: bool = True) -> Pick:
        """The card for `text`, or the closest cards to offer, or nothing. With `strict`,
        a card is given only within `topic` (the classifier is on its side); else the
        topic only adds its bonus (the thresholds hold without it: bench/answers_cv.py)."""
        if clean(text) in self.exact:  # the text is one of a card's own phrasings
            return Pick(self.cards[self.exact[clean(text)]], score=1.0)
        scores = self.scores(text, topic)
        if not len(scores):
            return Pick(None)
        order = np.argsort(-scores, kind="stable")
        best = float(scores[order[0]])
        others = scores[~self.same_fact[order[0]]]
        rival = float(others.max()) if len(others) else -np.inf
        # Given with confidence only within the routed topic (when there is one); a card
        # of another topic may still be offered among the choices.
        within = topic is None or not strict or self.cards[order[0]].topic == topic
        if best >= SURE and best - rival >= MARGIN and within:
            return Pick(self.cards[order[0]], score=best)
        if best >= CLOSE:
            return Pick(None, self._distinct(order), best)
        return Pick(None, score=best)

    def _distinct(self, order: np.ndarray) -> tuple[Card, ...]:
        """The best cards that say different things (two articles may answer alike)."""
        kept: list[int] = []
        labels: set[str] = set()
        for i in order[: CHOICES * 4]:
            if self.cards[i].label["en"] in labels or any(self.same_fact[i, j] for j in kept):
                continue
            kept.append(int(i))
            labels.add(self.cards[i].label["en"])
        return tuple(self.cards[i] for i in kept[:CHOICES])

    def next_after(self, card_id: str) -> Card | None:
        """The card MORE gives after `card_id`: the next of its topic, in file order."""
        card = self.by_id.get(card_id)
        if card is None:
            return None
        same = [c for c in self.cards if c.topic == card.topic]
        at = same.index(card)
        return same[at + 1] if at + 1 < len(same) else None

    def first_of(self, topic: str, n: int) -> list[Card]:
        return [c for c in self.cards if c.topic == topic][:n]
