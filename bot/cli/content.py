"""`flask content check`: lint the content files."""

from __future__ import annotations

import os
from pathlib import Path

import click
from flask.cli import AppGroup

from bot.content_check import coverage, load_checked_content
from content import ContentError

content_cli = AppGroup("content", help="Check the content files.")


@content_cli.command("check")
@click.option(
    "--dir", "directory", default=None, help="A content folder (default: the shipped one)."
)
@click.option(
    "--seeds",
    default=lambda: os.environ.get("NEXTSTEPS_SEEDS_DIR", ""),
    help="The seed articles (default: NEXTSTEPS_SEEDS_DIR); without them, no coverage report.",
)
def content_check(directory: str | None, seeds: str) -> None:
    """Lint content: GSM-7, segment counts, sources, every keyword reachable; with the
    seed articles, which cards use each paragraph and that every fact is reached."""
    try:
        content = load_checked_content(directory)
    except ContentError as exc:
        raise click.ClickException(str(exc)) from None
    if not seeds:
        click.echo("coverage skipped: NEXTSTEPS_SEEDS_DIR is not set (the seed articles)")
    else:
        report = coverage(content, Path(seeds))
        click.echo("\n".join(report.lines()))
        if report.problems():
            raise click.ClickException("coverage failed:\n  " + "\n  ".join(report.problems()))
    click.echo(
        f"content OK: {len(content.topics)} topics, {len(content.replies)} replies,"
        f" {len(content.questions)} questions, {len(content.cards.cards)} answer cards"
    )
