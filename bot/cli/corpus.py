"""`flask corpus evaluate`: route the held-out corpus and write EVALUATION.md."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from bot.conversation.inbound import get_pipeline
from bot.conversation.understanding import corpus, evaluate, realistic

corpus_cli = AppGroup("corpus", help="Measure understanding on the labelled corpus.")


@corpus_cli.command("evaluate")
@click.option("--write", "path", default=None, help="Write the report here (EVALUATION.md).")
@with_appcontext
def corpus_evaluate(path: str | None) -> None:
    """Route every held-out text through the pipeline; print the score, write the report."""
    report = evaluate.evaluate(get_pipeline(), corpus.heldout_examples())
    month = realistic.evaluate_month(get_pipeline())
    if path:
        existing = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(document(report, month, existing))
    recalls = ", ".join(
        f"{label} recall {report.recall(label):.1%}" for label in evaluate.SAFETY_LABELS
    )
    f = month.figures()
    click.echo(
        f"realistic month: urgent {f['urgent'][0]}/{f['urgent'][1]}, opt-out"
        f" {f['opt_out'][0]}/{f['opt_out'][1]}, false emergency {f['false_emergency'][0]}"
        f"/{f['false_emergency'][1]}, review {f['review'][0]}/{f['review'][1]}"
    )
    click.echo(
        f"held-out: {len(report.outcomes)} texts, {report.accuracy:.1%} right, {recalls},"
        f" {len(report.misses)} misses"
    )


def document(report: evaluate.Report, month: realistic.MonthReport, existing: str) -> str:
    """EVALUATION.md: the held-out report, the realistic month, and the answers block
    another report writes (kept exactly as it was)."""
    return "\n".join(
        (evaluate.render(report), realistic.render(month), realistic.answers_block(existing))
    ).rstrip("\n") + "\n"
