"""`flask backup create|restore`: a consistent copy of the database, and back."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from bot.backup import BackupError, create_backup, restore_backup
from bot.extensions import db


@click.group("backup", cls=AppGroup)
def backup_cli() -> None:
    """Back up and restore the database (consent proof included)."""


@backup_cli.command("create")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def create_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH while the service runs."""
    try:
        done = create_backup(db.engine, path)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"backup written: {done} ({done.stat().st_size} bytes)")


@backup_cli.command("restore")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace a database that already holds records.")
def restore_command(path: Path, force: bool) -> None:
    """Restore the backup in PATH into this (empty) database."""
    try:
        restore_backup(db.engine, path, force=force)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"restored from {path}; now run `flask --app bot db upgrade` if it is older")
