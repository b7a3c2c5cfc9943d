"""`flask patients ...`: the command-line twin of the staff console's enroll."""

from __future__ import annotations

from datetime import datetime

import click
from flask.cli import AppGroup

from bot.extensions import db
from bot.patients.enroll import enroll
from bot.reminders.scans import SCAN_KINDS, add_scan
from bot.staff.intake import INPUT_ERRORS, Intake, check
from bot.timeutil import format_when
from content import LANGUAGES


@click.group("patients", cls=AppGroup)
def patients_cli() -> None:
    """Enroll patients."""


@patients_cli.command("enroll")
@click.argument("phone")
@click.option("--timezone", default=None, help="IANA zone, e.g. America/Chicago.")
@click.option(
    "--scan",
    "scan_at",
    type=click.DateTime(["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]),
    default=None,
    help="Next scan, local time in the patient's zone: 2027-01-12T09:30.",
)
@click.option("--kind", type=click.Choice(SCAN_KINDS, case_sensitive=False), default="CT")
@click.option("--discreet", is_flag=True, help="Lock-screen-safe wording in reminders.")
@click.option("--name", default="", help="Display name for staff.")
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    default=None,
    help="The patient's language (unset: the opt-in asks in both; their texts then tell).",
)
def enroll_command(
    phone: str,
    timezone: str | None,
    scan_at: datetime | None,
    kind: str,
    discreet: bool,
    name: str,
    lang: str | None,
) -> None:
    """Enroll PHONE: send the opt-in text (pending until YES) and add the next scan."""
    typed = Intake(
        phone, name, timezone or "", lang, discreet=discreet, scan_at=scan_at, scan_kind=kind
    )
    try:
        checked = check(typed)  # everything, before the opt-in text goes out
        result = enroll(
            checked.phone,
            timezone=checked.timezone,
            language=lang,
            discreet=discreet,
            display_name=name,
        )
        scan = add_scan(result.patient, scan_at, kind=kind) if scan_at else None
    except INPUT_ERRORS as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    patient = result.patient
    state = "new" if result.created else "updated"
    invite = "opt-in text sent" if result.invited else "no opt-in text sent"
    click.echo(f"{patient.phone}: {state}, {patient.status}, {patient.timezone}; {invite}")
    if scan is not None:
        click.echo(f"next {scan.kind} scan: {format_when(scan.scheduled_at, patient.timezone)}")
