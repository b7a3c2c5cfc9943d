"""`flask spool status|replay`: texts kept on local disk while the database was down."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from bot.sms.replay import current_spool, replay_spool
from bot.sms.spool import waiting_by_file


@click.group("spool", cls=AppGroup)
def spool_cli() -> None:
    """The inbound spool (SPOOL_DIR)."""


@spool_cli.command("status")
def status_command() -> None:
    """How many texts wait to be stored, per spool file, and the oldest."""
    spool = current_spool()
    rows = waiting_by_file(spool.directory)
    total = sum(n for _, n, _ in rows)
    click.echo(f"spool: {spool.directory}")
    for path, n, oldest in rows:
        click.echo(f"  {path.name}: {n} waiting, oldest {oldest or '-'} UTC")
    click.echo(f"{total} text(s) waiting")


@spool_cli.command("replay")
def replay_command() -> None:
    """Store every waiting text in the database now (oldest first, once each)."""
    try:
        count = replay_spool()
    except SQLAlchemyError as exc:
        raise click.ClickException(
            f"database unreachable, nothing replayed ({exc.__class__.__name__})"
        ) from None
    click.echo(f"replayed {count} text(s)")
