"""Routing plus card choice: pipeline.decide() per question, no HTTP, no database.

    python bench/answers.py [--passes 20] [--cpu]

Texts: the held-out corpus (every voice) and the cards' own ask lines, each with a fresh
suffix per pass (so no cache helps). Reports p50/p99 per text of decide() with the cards
and, as the same-process baseline, decide() of a pipeline without cards (routing only,
what every text paid before issue 24), and their ratio; the card choice alone
(CardIndex.choose) and the index's fitting time at start-up. Goal: p99 <= 1 ms per text.
Never the evaluation set's questions.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.conversation.answers import CardIndex  # noqa: E402
from bot.conversation.pipeline import Context, Pipeline  # noqa: E402
from bot.conversation.understanding import corpus  # noqa: E402
from content import load_content  # noqa: E402
from content.cards import CardSet  # noqa: E402


def _q(values: list[int], pct: float) -> float:
    return statistics.quantiles(values, n=1000)[int(pct * 10) - 1] / 1e6


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--cpu", action="store_true", help="thread CPU time instead of wall time")
    args = ap.parse_args()
    content = load_content()
    started = time.perf_counter()
    CardIndex(content.cards)
    print(f"card index fitted in {time.perf_counter() - started:.2f} s (once per process)")
    with_cards = Pipeline(content, "NextSteps", "614-555-0100")
    without = Pipeline(replace(content, cards=CardSet((), {})), "NextSteps", "614-555-0100")
    asks = [line for c in content.cards.cards for lines in c.ask.values() for line in lines]
    texts = [ex.text for ex in corpus.heldout_examples()] + asks
    variants = [t + (f" {i}" if i else "") for i in range(args.passes) for t in texts]
    clock = time.thread_time_ns if args.cpu else time.perf_counter_ns
    timings: dict[str, list[int]] = {"decide() with cards": [], "decide() routing only": []}
    timings["CardIndex.choose()"] = []
    ctx = Context()
    for text in variants:
        t0 = clock()
        with_cards.decide(text, ctx)
        t1 = clock()
        without.decide(text, ctx)
        t2 = clock()
        with_cards.cards.choose(text)
        t3 = clock()
        for name, spent in zip(timings, (t1 - t0, t2 - t1, t3 - t2), strict=True):
            timings[name].append(spent)
    timed = "thread CPU time" if args.cpu else "wall time"
    print(f"\n{len(variants)} texts ({len(texts)} x {args.passes} passes), {timed}")
    print("| step | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|")
    for name, values in timings.items():
        print(f"| {name} | {_q(values, 50):.4f} | {_q(values, 99):.4f} | {max(values) / 1e6:.3f} |")
    cards, base = timings["decide() with cards"], timings["decide() routing only"]
    print(f"p99 ratio, with cards / routing only: {_q(cards, 99) / _q(base, 99):.2f}x")
    print(f"p50 ratio, with cards / routing only: {_q(cards, 50) / _q(base, 50):.2f}x")


if __name__ == "__main__":
    main()
