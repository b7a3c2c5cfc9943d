"""`flask` commands for staff and tests, registered by create_app()."""

from __future__ import annotations

import json

import click
from flask import Flask
from flask.cli import AppGroup, with_appcontext

from bot.cli.staff import staff_cli
from bot.conversation.inbound import preview
from bot.sms.segments import segment_info
from content import ContentError


def register_cli(app: Flask) -> None:
    app.cli.add_command(reply_command)
    app.cli.add_command(content_cli)
    app.cli.add_command(staff_cli)
    from bot.cli.patients import patients_cli
    from bot.cli.reminders import reminders_cli  # schedules builds on bot; imported late

    app.cli.add_command(patients_cli)
    app.cli.add_command(reminders_cli)


@click.command("reply")
@with_appcontext
@click.option("--from", "from_", default="+15555550100", help="The sender's number (E.164).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.argument("text")
def reply_command(from_: str, as_json: bool, text: str) -> None:
    """Print what FROM would get for TEXT (same pipeline as the webhook; records nothing)."""
    decision = preview(from_, text)
    body = decision.body or ""
    if as_json:
        info = segment_info(body)
        click.echo(
            json.dumps(
                {
                    "topic": decision.topic,
                    "body": body,
                    "segments": info.segments,
                    "encoding": info.encoding,
                }
            )
        )
    else:
        click.echo(f"[{decision.topic}] {body or '(no reply)'}")


content_cli = AppGroup("content", help="Check the content files.")


@content_cli.command("check")
@click.option(
    "--dir", "directory", default=None, help="A content folder (default: the shipped one)."
)
def content_check(directory: str | None) -> None:
    """Lint content: GSM-7, segment counts, sources, every keyword reachable."""
    from bot.content_check import load_checked_content

    try:
        content = load_checked_content(directory)
    except ContentError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(
        f"content OK: {len(content.topics)} topics, {len(content.replies)} replies,"
        f" {len(content.questions)} questions"
    )
