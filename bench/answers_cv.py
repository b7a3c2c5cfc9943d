"""Cross-validation of the card choice on the cards' own `ask` lines (never the eval set).

    python bench/answers_cv.py

Each card's ask lines are split into 5 folds; the index is fitted without one fold and
the held-out lines are chosen for. Prints, per threshold setting, how many lines got
their own card with confidence, choices (with the card among them), or a wrong card.
The constants in bot/conversation/answers.py come from this table.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from bot.conversation import answers
from content import load_content
from content.cards import CardSet

FOLDS = 5


def _folds(cards: CardSet) -> list[tuple[CardSet, list[tuple[str, str]]]]:
    out = []
    for k in range(FOLDS):
        kept, held = [], []
        for card in cards.cards:
            ask = {}
            for lang, lines in card.ask.items():
                ask[lang] = tuple(x for i, x in enumerate(lines) if i % FOLDS != k)
                held += [(x, card.id) for i, x in enumerate(lines) if i % FOLDS == k]
            kept.append(replace(card, ask=ask))
        out.append((CardSet(tuple(kept), {}), held))
    return out


def _scored(folds) -> list[tuple[bool, bool, float, float]]:
    """Per held-out line: top card right (shares a sentence with its own card), own card
    among the top 3, best score, lead over the second."""
    out = []
    for index, held in folds:
        uses = {card.id: set(card.uses) for card in index.cards}
        for text, card_id in held:
            scores = index.scores(text, topic=index.by_id[card_id].topic)
            order = scores.argsort()[::-1]
            ids = [index.cards[i].id for i in order[: answers.CHOICES]]
            right = bool(uses[ids[0]] & uses[card_id])
            lead = scores[order[0]] - scores[order[1]]
            out.append((right, card_id in ids, float(scores[order[0]]), float(lead)))
    return out


def main() -> None:
    cards = load_content().cards
    rows = _scored([(answers.CardIndex(kept), held) for kept, held in _folds(cards)])
    n = len(rows)
    print(f"{n} held-out ask lines; top card right: {100 * sum(r[0] for r in rows) / n:.1f} %")
    print("sure margin: answered% wrong% choices% (own card among them%)")
    for sure, margin in itertools.product((0.3, 0.4, 0.5), (0.0, 0.05, 0.1, 0.15)):
        given = [r for r in rows if r[2] >= sure and r[3] >= margin]
        offered = [r for r in rows if r not in given and r[2] >= answers.CLOSE]
        among = 100 * sum(r[1] for r in offered) / max(1, len(offered))
        print(
            f"{sure:.2f} {margin:.2f}: {100 * sum(r[0] for r in given) / n:5.1f}"
            f" {100 * sum(not r[0] for r in given) / n:5.1f}"
            f" {100 * len(offered) / n:5.1f} ({among:.0f})"
        )


if __name__ == "__main__":
    main()
