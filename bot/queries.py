"""One helper per question the code asks in more than one place."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, or_, select

from bot.extensions import db
from bot.models import SCHEDULED, Checkin, ConsentEvent, Message, Patient, Scan


def patient_by_phone(phone: str) -> Patient | None:
    """The patient with this E.164 number (unique), if any."""
    return db.session.scalars(select(Patient).where(Patient.phone == phone)).first()


def consent_of(patient_id: int, phone: str) -> ColumnElement[bool]:
    """The patient's consent events: by id, and by number (events from before enrollment,
    and those kept after an erasure)."""
    return or_(ConsentEvent.patient_id == patient_id, ConsentEvent.phone == phone)


def messages_of(patient_id: int, phone: str) -> ColumnElement[bool]:
    """The patient's texts: by id, and by number (texts from before enrollment)."""
    return or_(Message.patient_id == patient_id, Message.phone == phone)


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


def checkin_prompts_since(patient_id: int, since: datetime) -> list[datetime]:
    """When the clock texted the patient a check-in's first question (they count toward
    the reminder caps; CHECK and the answers to the patient's own replies do not)."""
    return list(
        db.session.scalars(
            select(Checkin.started_at).where(
                Checkin.patient_id == patient_id,
                Checkin.source == "clock",
                Checkin.started_at >= since,
            )
        )
    )
