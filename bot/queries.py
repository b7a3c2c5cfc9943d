"""One helper per question the code asks in more than one place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, select

from bot.extensions import db
from bot.models import SCHEDULED, Patient, Scan


def patient_by_phone(phone: str) -> Patient | None:
    """The patient with this E.164 number (unique), if any."""
    return db.session.scalars(select(Patient).where(Patient.phone == phone)).first()


def is_upcoming(now: datetime) -> ColumnElement[bool]:
    """A scan still to come: scheduled, and later than `now` (uses ix_scans_upcoming)."""
    return and_(Scan.status == SCHEDULED, Scan.scheduled_at > now)


def upcoming_scans(patient: Patient, now: datetime) -> list[Scan]:
    """The patient's scans still to come, soonest first."""
    return list(
        db.session.scalars(
            select(Scan)
            .where(Scan.patient_id == patient.id, is_upcoming(now))
            .order_by(Scan.scheduled_at)
        )
    )


def upcoming_scan(patient: Patient, now: datetime) -> Scan | None:
    """The patient's next scan still to come, if any."""
    return db.session.scalars(
        select(Scan)
        .where(Scan.patient_id == patient.id, is_upcoming(now))
        .order_by(Scan.scheduled_at)
        .limit(1)
    ).first()
