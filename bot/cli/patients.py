"""`flask patients ...`: the command-line twin of the staff console's enroll."""

from __future__ import annotations

import json
from datetime import datetime

import click
from flask import current_app
from flask.cli import AppGroup

from bot.checkins import history
from bot.checkins.schedule import WEEKDAYS, CheckinError, set_schedule
from bot.extensions import db
from bot.models import Patient, Scan, utcnow
from bot.patients.enroll import describe_invitation, send_invitation
from bot.phones import normalize_phone
from bot.queries import patient_by_phone
from bot.reminders.answers import replies_of
from bot.reminders.scans import SCAN_KINDS
from bot.staff import audit
from bot.staff.intake import INPUT_ERRORS, Intake, apply
from bot.timeutil import format_when, to_local
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
    """Enroll PHONE: send the opt-in text (pending until YES) and add the next scan.
    Running it again for the same number and scan changes nothing twice."""
    typed = Intake(
        phone, name, timezone or "", lang, discreet=discreet, scan_at=scan_at, scan_kind=kind
    )
    try:
        done = apply(typed, actor="cli", source="cli")
        db.session.commit()
    except INPUT_ERRORS as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    status = send_invitation(done.invitation)  # only once the enrolment is committed
    patient = done.patient
    state = "new" if done.created else "updated"
    invite = describe_invitation(status)
    click.echo(f"{patient.phone}: {state}, {patient.status}, {patient.timezone}; {invite}")
    if done.scan is not None:
        booked = "" if done.scan_added else " (already booked)"
        when = format_when(done.scan.scheduled_at, patient.timezone)
        click.echo(f"next {done.scan.kind} scan: {when}{booked}")


@patients_cli.command("checkins")
@click.argument("phone")
@click.option("--on/--off", "on", required=True, help="Switch the weekly check-in on or off.")
@click.option("--day", type=click.Choice(WEEKDAYS, case_sensitive=False), default=None)
@click.option("--time", "at", default="10:00", show_default=True, help="Patient's local time.")
def checkins_command(phone: str, on: bool, day: str | None, at: str) -> None:
    """Weekly symptom check-in for PHONE: --on --day tue --time 10:00, or --off."""
    patient = _patient(phone)
    weekday = WEEKDAYS.index(day.lower()) if day else None
    try:
        row = set_schedule(patient, on, weekday, at, utcnow())
    except CheckinError as exc:
        db.session.rollback()
        raise click.ClickException(str(exc)) from None
    detail = f"{day} {at}" if on else ""
    audit.record(
        f"checkins.{'on' if on else 'off'}", audit.patient_target(patient.id), detail, "cli"
    )
    db.session.commit()
    if row is None or not row.enabled:
        click.echo(f"{patient.phone}: weekly check-in off")
        return
    nxt = format_when(row.next_due_at, patient.timezone)
    click.echo(
        f"{patient.phone}: weekly check-in on, {WEEKDAYS[row.weekday]} {row.local_time}"
        f" ({patient.timezone}); next {nxt}"
    )


@patients_cli.command("show")
@click.argument("phone")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def show_command(phone: str, as_json: bool) -> None:
    """A patient's details, scans, check-ins (questions, answers, grades) and C/R replies."""
    patient = _patient(phone)
    record = patient_record(patient)
    if as_json:
        click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        return
    click.echo(f"{record['phone']} {record['name']}: {record['status']}, {record['language']}")
    for scan in record["scans"]:
        click.echo(f"  scan {scan['kind']} {scan['when']} ({scan['status']})")
    for c in record["checkins"]:
        graded = ", ".join(f"{a['question']}={a['value']}(g{a['grade']})" for a in c["answers"])
        click.echo(f"  check-in {c['started']}: {c['status']} {graded}")
    for r in record["scan_confirmations"]:
        click.echo(f"  {r['kind']} {r['at']} (scan {r['scan_when']})")


def _patient(phone: str) -> Patient:
    number = normalize_phone(phone, current_app.config["DEFAULT_REGION"])
    if number is None:
        raise click.ClickException(f"not a phone number: {phone}")
    patient = patient_by_phone(number)
    if patient is None:
        raise click.ClickException(f"no patient with the number {number}")
    return patient


def patient_record(patient: Patient) -> dict:
    """Everything `show` prints: details, scans, the check-in schedule and history, C/R."""
    tz = patient.timezone
    schedule = history.schedule_of(patient.id)
    scans = {s.id: s for s in patient.scans}
    return {
        "phone": patient.phone,
        "name": patient.display_name,
        "status": patient.status,
        "language": patient.language,
        "timezone": tz,
        "discreet": patient.discreet,
        "scans": [_scan(s, tz) for s in patient.scans],
        "checkin_schedule": None
        if schedule is None
        else {
            "enabled": schedule.enabled,
            "day": WEEKDAYS[schedule.weekday],
            "time": schedule.local_time,
            "next": _local(schedule.next_due_at, tz),
            "note": schedule.note,
        },
        "checkins": [history.as_dict(c, tz) for c in reversed(history.timeline(patient.id))],
        "scan_confirmations": [
            {
                "kind": r.kind,
                "at": _local(r.created_at, tz),
                "scan_id": r.scan_id,
                "scan_when": _local(scans[r.scan_id].scheduled_at, tz)
                if r.scan_id in scans
                else None,
            }
            for r in replies_of(patient.id)
        ],
    }


def _scan(scan: Scan, tz: str) -> dict:
    return {
        "id": scan.id,
        "kind": scan.kind,
        "when": _local(scan.scheduled_at, tz),
        "status": scan.status,
    }


def _local(utc: datetime | None, tz: str) -> str | None:
    return f"{to_local(utc, tz):%Y-%m-%d %H:%M %Z}" if utc else None
