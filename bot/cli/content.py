"""`flask content check`: lint the content files."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from bot.content_check import load_checked_content
from content import ContentError

content_cli = AppGroup("content", help="Check the content files.")


@content_cli.command("check")
@click.option(
    "--dir", "directory", default=None, help="A content folder (default: the shipped one)."
)
def content_check(directory: str | None) -> None:
    """Lint content: GSM-7, segment counts, sources, every keyword reachable."""
    try:
        content = load_checked_content(directory)
    except ContentError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"content OK: {len(content.topics)} topics, {len(content.replies)} replies,"
        f" {len(content.questions)} questions"
    )
