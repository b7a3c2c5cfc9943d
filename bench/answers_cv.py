"""Cross-validation of the card choice on the cards' own phrasings (never the eval set).

    python bench/answers_cv.py

Two splits, each index fitted without the lines it is then asked:
- "new writer": fitted on the cards' yaml `ask` lines only, asked every line of
  cards/asked/*.tsv (other writers, other words: the harder case);
- "5 folds": every phrasing in one of 5 folds, fitted on the other four.
A pick is right when the card shares an article sentence with the line's own card. Prints,
per threshold setting, how many lines got a right card with confidence, a wrong one, or
choices (with a right card among them). The constants in bot/conversation/answers.py come
from this table: the most answered with at most 2 % wrong in both splits (2026-12-04, with
both batches of asked/ lines: SURE -0.2, MARGIN 0.6 gave 23.8 % answered / 1.7 % wrong for a
new writer, 42.6 % / 1.8 % in 5 folds).
"""

from __future__ import annotations

import itertools
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.conversation import answers  # noqa: E402
from content import load_content  # noqa: E402
from content.cards import CardSet  # noqa: E402

FOLDS = 5
_YAML_LINES = 8  # every card's yaml lists 8 phrasings per language; the rest came from asked/


def _split(cards: CardSet, held_out) -> tuple[CardSet, list[tuple[str, str]]]:  # noqa: ANN001
    kept, held = [], []
    for card in cards.cards:
        ask = {}
        for lang, lines in card.ask.items():
            ask[lang] = tuple(x for i, x in enumerate(lines) if not held_out(i))
            held += [(x, card.id) for i, x in enumerate(lines) if held_out(i)]
        kept.append(replace(card, ask=ask))
    return CardSet(tuple(kept), {}), held


def _scored(index: answers.CardIndex, held: list[tuple[str, str]]) -> np.ndarray:
    """Per held-out line: (top card right, a right card among the choices, best score,
    lead over the best card of another fact)."""
    at = {card.id: i for i, card in enumerate(index.cards)}
    rows = []
    for text, card_id in held:
        scores = index.scores(text)
        order = np.argsort(-scores, kind="stable")
        own = index.same_fact[at[card_id]]
        rival = scores[~index.same_fact[order[0]]].max()
        choices = [at[c.id] for c in index._distinct(order)]
        rows.append((own[order[0]], own[choices].any(), scores[order[0]], scores[order[0]] - rival))
    return np.array(rows, dtype=float)


def _table(name: str, rows: np.ndarray) -> None:
    n = len(rows)
    print(f"\n{name}: {n} lines; top card right {100 * rows[:, 0].mean():.1f} %")
    print("  sure margin: answered% wrong% choices% (a right card among them%)")
    for sure, margin in itertools.product((-0.2, 0.0, 0.2), (0.4, 0.5, 0.55, 0.6, 0.7)):
        given = (rows[:, 2] >= sure) & (rows[:, 3] >= margin)
        offered = ~given & (rows[:, 2] >= answers.CLOSE)
        among = 100 * rows[offered, 1].mean() if offered.any() else 0.0
        print(
            f"  {sure:+.2f} {margin:.2f}: {100 * rows[given, 0].sum() / n:5.1f}"
            f" {100 * (1 - rows[given, 0]).sum() / n:5.1f}"
            f" {100 * offered.mean():5.1f} ({among:.0f})"
        )


def main() -> None:
    cards = load_content().cards
    index, held = _split(cards, lambda i: i >= _YAML_LINES)
    _table("new writer", _scored(answers.CardIndex(index), held))
    folds = [_split(cards, lambda i, k=k: i % FOLDS == k) for k in range(FOLDS)]
    _table("5 folds", np.vstack([_scored(answers.CardIndex(ix), h) for ix, h in folds]))
    _close(cards)


def _close(cards: CardSet) -> None:
    """CLOSE: how many chat, thanks and unknown texts of the corpus would get card choices."""
    from bot.conversation.understanding import corpus

    index = answers.CardIndex(cards)
    chat = [ex.text for ex in corpus.training_examples() if ex.label in ("unknown", "thanks")]
    best = np.array([index.scores(text).max() for text in chat])
    for close in (-0.6, -0.5, -0.4, -0.3):
        print(f"CLOSE {close:+.1f}: {100 * (best >= close).mean():.0f} % of {len(chat)} chat texts")


if __name__ == "__main__":
    main()
