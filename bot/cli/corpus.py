"""`flask corpus evaluate`: route the held-out corpus and write EVALUATION.md."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from bot.conversation import answers_report
from bot.conversation.inbound import get_pipeline
from bot.conversation.understanding import corpus, evaluate

corpus_cli = AppGroup("corpus", help="Measure understanding on the labelled corpus.")


@corpus_cli.command("evaluate")
@click.option("--write", "path", default=None, help="Write the report here (EVALUATION.md).")
@with_appcontext
def corpus_evaluate(path: str | None) -> None:
    """Route every held-out text through the pipeline; print the score, write the report."""
    report = evaluate.evaluate(get_pipeline(), corpus.heldout_examples())
    if path:
        # The answers section (flask answers evaluate) is kept as it is.
        old = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
        kept = answers_report.section_of(old)
        text = evaluate.render(report)
        Path(path).write_text(answers_report.replace_section(text, kept) if kept else text)
    recalls = ", ".join(
        f"{label} recall {report.recall(label):.1%}" for label in evaluate.SAFETY_LABELS
    )
    click.echo(
        f"held-out: {len(report.outcomes)} texts, {report.accuracy:.1%} right, {recalls},"
        f" {len(report.misses)} misses"
    )
