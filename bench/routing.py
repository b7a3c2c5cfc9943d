"""Routing alone: pipeline.decide() per message, no HTTP, no database.

    python bench/routing.py [--passes 200]

Over the eval texts (short, as before) and over the held-out corpus (every voice, long
rambling messages included). Reports p50/p99 per message (goal: p99 <= 1 ms) and, as a
same-process baseline, the cost of normalising the same texts (the cheapest step every
message pays). Start-up cost (training the classifier) is reported once.
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.conversation.pipeline import Context, Pipeline  # noqa: E402
from bot.conversation.text import normalize  # noqa: E402
from bot.conversation.understanding import corpus  # noqa: E402
from bot.conversation.understanding.model import default_classifier  # noqa: E402
from content import load_content  # noqa: E402
from tests.conftest import DATA  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--passes", type=int, default=200)
    ap.add_argument(
        "--cpu",
        action="store_true",
        help="time with the thread's CPU clock (robust on a busy machine) instead of wall time",
    )
    args = ap.parse_args()
    with (DATA / "inbound-examples.tsv").open(encoding="utf-8") as fh:
        examples = [r[0] for r in csv.reader(fh, delimiter="\t") if r and not r[0].startswith("#")]
    started = time.perf_counter()
    default_classifier()
    print(f"classifier trained in {time.perf_counter() - started:.2f} s (once per process)")
    pipeline = Pipeline(load_content(), "NextSteps", "614-555-0100")
    heldout = [ex.text for ex in corpus.heldout_examples()]
    sets = [("eval texts", examples), ("held-out corpus", heldout)]
    month = ROOT / "tests" / "data" / "eval" / "month"
    if month.is_dir():  # issue 23: a clinic's month (only timed here, never read)
        from bot.conversation.understanding.realistic import read_month

        sets.append(("realistic month", [t.text for t in read_month(month)]))
    for name, texts in sets:
        _measure(pipeline, name, texts, args.passes, args.cpu)


def _measure(pipeline: Pipeline, name: str, texts: list[str], passes: int, cpu: bool) -> None:
    ctx = Context(status="active", last_topic="trials")

    # Fresh typos defeat the per-word correction cache, as real traffic would.
    variants = [t + (f" {i}" if i else "") for i in range(passes) for t in texts]
    per_msg, baseline = [], []
    clock = time.thread_time_ns if cpu else time.perf_counter_ns
    for text in variants:
        t0 = clock()
        normalize(text)
        t1 = clock()
        pipeline.decide(text, ctx)
        t2 = clock()
        baseline.append(t1 - t0)
        per_msg.append(t2 - t1)

    def q(values: list[int], pct: float) -> float:
        return statistics.quantiles(values, n=1000)[int(pct * 10) - 1] / 1e6

    timed = "thread CPU time" if cpu else "wall time"
    print(f"\n{name}: {len(per_msg)} messages ({len(texts)} texts x {passes} passes), {timed}")
    print("| step | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|")
    for name, values in (
        ("decide() (whole pipeline)", per_msg),
        ("normalize() baseline", baseline),
    ):
        print(f"| {name} | {q(values, 50):.4f} | {q(values, 99):.4f} | {max(values) / 1e6:.3f} |")
    ratio = statistics.median(per_msg) / statistics.median(baseline)
    print(f"median decide/normalize ratio: {ratio:.1f}x")


if __name__ == "__main__":
    main()
