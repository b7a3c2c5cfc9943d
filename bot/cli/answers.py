"""`flask answers evaluate`: the question set through the pipeline, EVALUATION.md's section."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup, with_appcontext

from bot.conversation import answers_report
from bot.conversation.inbound import get_pipeline

answers_cli = AppGroup("answers", help="Measure the answer cards on the question set.")


@answers_cli.command("evaluate")
@click.option("--write", "path", default=None, help="Write the section into this file.")
@with_appcontext
def answers_evaluate(path: str | None) -> None:
    """Every question as a first text; print the figures, write the answers section."""
    pipeline = get_pipeline()
    if path:
        figures = answers_report.write(pipeline, Path(path))
    else:
        figures = answers_report.summary(answers_report.evaluate(pipeline))
    click.echo(
        f"questions: {figures['questions']}, first reply {figures['first_reply']:.1%},"
        f" within MORE {figures['within_more']:.1%}, choices {figures['choices']:.1%},"
        f" wrong {figures['wrong']:.1%}"
    )
