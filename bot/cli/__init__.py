"""Every `flask` command, one module per noun; create_app() registers them here."""

from __future__ import annotations

import functools

import click
from flask import Flask
from sqlalchemy.exc import DBAPIError

from bot.cli.answers import answers_cli
from bot.cli.backup import backup_cli
from bot.cli.content import content_cli
from bot.cli.corpus import corpus_cli
from bot.cli.patients import patients_cli
from bot.cli.reminders import reminders_cli
from bot.cli.reply import reply_command
from bot.cli.sms import sms_cli
from bot.cli.spool import spool_cli
from bot.cli.staff import staff_cli
from bot.extensions import NO_SCHEMA_HINT, schema_missing


def register_cli(app: Flask) -> None:
    for command in (
        reply_command,
        answers_cli,
        backup_cli,
        content_cli,
        corpus_cli,
        patients_cli,
        reminders_cli,
        sms_cli,
        spool_cli,
        staff_cli,
    ):
        _guard_schema(command)
        app.cli.add_command(command)


def _guard_schema(command: click.Command) -> None:
    """A command run before `db upgrade` says so, rather than printing a traceback."""
    for sub in getattr(command, "commands", {}).values():
        _guard_schema(sub)
    callback = command.callback
    if callback is None or getattr(callback, "_schema_guarded", False):
        return

    @functools.wraps(callback)
    def guarded(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        try:
            return callback(*args, **kwargs)
        except DBAPIError as exc:
            if schema_missing(exc):
                raise click.ClickException(NO_SCHEMA_HINT) from None
            raise

    guarded._schema_guarded = True  # type: ignore[attr-defined]
    command.callback = guarded
