"""Shared set-up for the reminder tests: patients, scans and what the planner made."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.extensions import db
from bot.models import ACTIVE, PLANNED, Patient, Reminder
from bot.reminders.scans import add_scan
from bot.timeutil import to_local


def make_patient(
    phone: str = "+16145550123",
    tz: str = "America/New_York",
    status: str = ACTIVE,
    discreet: bool = False,
) -> Patient:
    patient = Patient(phone=phone, timezone=tz, status=status, discreet=discreet)
    db.session.add(patient)
    db.session.flush()
    return patient


def scan_at(patient: Patient, local: str, kind: str = "CT"):  # noqa: ANN201
    """Add a scan at a local wall-clock time ('2027-03-15 09:30'); commits."""
    scan = add_scan(patient, datetime.fromisoformat(local), kind=kind)
    db.session.commit()
    return scan


def reminders(patient: Patient, status: str | None = None) -> list[Reminder]:
    query = select(Reminder).where(Reminder.patient_id == patient.id).order_by(Reminder.due_at)
    if status:
        query = query.where(Reminder.status == status)
    return list(db.session.scalars(query))


def planned_local(patient: Patient) -> list[str]:
    """Planned reminders as local 'YYYY-MM-DD HH:MM' in the patient's zone."""
    return [
        f"{to_local(r.due_at, patient.timezone):%Y-%m-%d %H:%M}"
        for r in reminders(patient, PLANNED)
    ]


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text)
