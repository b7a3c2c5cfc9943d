"""`flask reminders ...`: look at what the planner decided."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from bot.extensions import db
from bot.models import ACTIVE, PLANNED, Scan
from bot.phones import normalize_phone
from bot.queries import patient_by_phone
from bot.reminders.planner import upcoming
from bot.sms.segments import segment_info
from bot.timeutil import format_when, to_local


@click.group("reminders", cls=AppGroup)
def reminders_cli() -> None:
    """Rescan reminders."""


@reminders_cli.command("preview")
@click.argument("phone")
def preview_command(phone: str) -> None:
    """Show PHONE's upcoming reminders: local time, status and the exact text."""
    number = normalize_phone(phone, current_app.config["DEFAULT_REGION"])
    patient = patient_by_phone(number) if number else None
    if patient is None:
        raise click.ClickException(f"no patient with phone {phone}")
    tz = patient.timezone
    click.echo(f"{patient.phone}: {patient.status}, {tz}{', discreet' if patient.discreet else ''}")
    if patient.status != ACTIVE:
        click.echo("  no reminders are sent until the patient replies YES (or START)")
    rows = upcoming(patient)
    if not rows:
        click.echo("  no upcoming reminders")
    for r in rows:
        scan = db.session.get(Scan, r.scan_id) if r.scan_id else None
        local = to_local(r.due_at, tz)
        about = (
            f"{r.offset_days} day(s) before the scan of"
            f" {format_when(scan.scheduled_at, tz, time_known=scan.time_confirmed)}"
            if scan
            else ""
        )
        click.echo(f"- {local:%a %Y-%m-%d %H:%M %Z}  {r.status:<9} {about}")
        if r.status == PLANNED:
            info = segment_info(r.body)
            click.echo(
                f"    [{info.segments} segment(s), {info.encoding}, {info.units} chars] {r.body}"
            )
        elif r.note:
            click.echo(f"    ({r.note})")
