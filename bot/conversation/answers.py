"""Question -> answer card, by meaning (after safety, compliance and the keyword step).

TF-IDF over each card's phrasings, label and answer (both languages: a card is one
answer whatever language it is asked in), with the features the classifier uses
(character 2-5-grams of the normalised text, words and word pairs). A text's score for a
card is its best cosine with one of the card's documents; the classifier's topic, when it
is sure, adds a bonus to that topic's cards (so the choice is made across topics when it
is unsure). Deterministic, fitted at start-up in well under a second, no model file.

`choose()` says: a card (sure), choices (close but unsure: "Did you mean 1, 2, 3?") or
nothing (fall back to the closest topics). The thresholds were set by cross-validation
on the cards' own `ask` lines (bench/answers_cv.py), never on the evaluation set.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

from bot.conversation.understanding.features import (
    char_block,
    clean,
    word_block,
    word_char_ngrams,
)
from content.cards import Card, CardSet

# Cosine thresholds and the topic bonus (bench/answers_cv.py, on the cards' ask lines).
SURE = 0.30  # a card is given at or above this...
MARGIN = 0.15  # ...when it leads the next card by this much (wrong <= 2 % in CV)
CLOSE = 0.20  # below this nothing is offered (the closest topics instead)
TOPIC_BONUS = 0.08  # for the cards of the topic the classifier is sure of
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


class CardIndex:
    """The cards as TF-IDF centroids, fitted once."""

    def __init__(self, cards: CardSet) -> None:
        self.cards = cards.cards
        self.by_id = cards.by_id()
        docs, owners = [], []
        for i, card in enumerate(self.cards):
            for lang in card.answer:
                texts = (*card.ask[lang], card.label[lang], card.answer[lang])
                docs += texts
                owners += [i] * len(texts)
        self.blocks = [TfidfVectorizer(analyzer=b, sublinear_tf=True) for b in _BLOCKS]
        self.weights = (np.sqrt(1 - WORD_WEIGHT), np.sqrt(WORD_WEIGHT))
        self.topics = np.array([card.topic for card in self.cards])
        self.exact = _exact_phrasings(self.cards)
        self._char_cache: dict[str, np.ndarray] = {}
        # feature rows x card columns, so a text's few features pick a few rows
        # Features x cards, dense float32 (about 13 MB for 140 cards): a text's rows are
        # gathered and summed in microseconds, where sparse row slicing costs 0.1 ms.
        self.dense = self._fit(docs, owners).T.toarray().astype(np.float32) if docs else None

    def _fit(self, docs: Sequence[str], owners: list[int]) -> sparse.csr_matrix:
        """Each card's centroid: the sum of its documents' unit vectors, made unit length.
        (Better than the best single document in cross-validation: a short phrasing that
        shares one common word no longer wins.)"""
        parts = [v.fit_transform(docs) * w for v, w in zip(self.blocks, self.weights, strict=True)]
        self.offsets = (0, len(self.blocks[0].vocabulary_))
        by_doc = sparse.hstack(parts).tocsr()
        rows = np.array(owners)
        own = sparse.csr_matrix((np.ones(len(rows)), (rows, np.arange(len(rows)))))
        summed = (own @ by_doc).tocsr()
        norms = np.sqrt(np.asarray(summed.multiply(summed).sum(axis=1)).ravel())
        return sparse.csr_matrix(sparse.diags(1 / np.maximum(norms, 1e-12)) @ summed)

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
        out = np.zeros(len(self.cards))
        if self.dense is None:
            return out
        cols, vals = self._query(text)
        if len(cols):
            out = vals.astype(np.float32) @ self.dense[cols]
        if topic is not None:
            out = out + TOPIC_BONUS * (self.topics == topic)
        return out

    def choose(self, text: str, topic: str | None = None) -> Pick:
        """The card for `text`, or the closest cards to offer, or nothing."""
        if clean(text) in self.exact:  # the text is one of a card's own phrasings
            return Pick(self.cards[self.exact[clean(text)]], score=1.0)
        scores = self.scores(text, topic)
        if not len(scores):
            return Pick(None)
        order = np.argsort(-scores, kind="stable")
        best = float(scores[order[0]])
        second = float(scores[order[1]]) if len(order) > 1 else 0.0
        # Given with confidence only within the routed topic (when there is one); a card
        # of another topic may still be offered among the choices.
        within = topic is None or self.cards[order[0]].topic == topic
        if best >= SURE and best - second >= MARGIN and within:
            return Pick(self.cards[order[0]], score=best)
        if best >= CLOSE:
            return Pick(None, self._distinct(order), best)
        return Pick(None, score=best)

    def _distinct(self, order: np.ndarray) -> tuple[Card, ...]:
        """The best cards with different labels (two articles may answer alike)."""
        out: dict[str, Card] = {}
        for i in order[: CHOICES * 3]:
            out.setdefault(self.cards[i].label["en"], self.cards[i])
        return tuple(out.values())[:CHOICES]

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
