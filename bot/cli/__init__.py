"""Every `flask` command, one module per noun; create_app() registers them here."""

from __future__ import annotations

from flask import Flask

from bot.cli.answers import answers_cli
from bot.cli.backup import backup_cli
from bot.cli.content import content_cli
from bot.cli.corpus import corpus_cli
from bot.cli.patients import patients_cli
from bot.cli.reminders import reminders_cli
from bot.cli.reply import reply_command
from bot.cli.spool import spool_cli
from bot.cli.staff import staff_cli


def register_cli(app: Flask) -> None:
    for command in (
        reply_command,
        answers_cli,
        backup_cli,
        content_cli,
        corpus_cli,
        patients_cli,
        reminders_cli,
        spool_cli,
        staff_cli,
    ):
        app.cli.add_command(command)
