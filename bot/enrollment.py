"""Enroll a phone number for reminders: the one implementation behind the staff console,
the CSV import and `flask patients enroll`.

Double opt-in: a new number gets the invitation text and stays *pending* until it
replies YES. Re-enrolling a number updates it and never creates a second patient. A
number that texted STOP is never texted again until the patient texts START.
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlalchemy import select

from bot.extensions import db
from bot.models import PENDING, STOPPED, ConsentEvent, Patient
from bot.phones import normalize_phone
from bot.sms.outbound import send_text


class EnrollmentError(ValueError):
    """The input can't be enrolled; the message is shown to staff as is."""


@dataclass(frozen=True)
class Enrolled:
    patient: Patient
    created: bool
    invited: bool  # whether the opt-in text went out now


def check_timezone(tz: str) -> str:
    try:
        ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise EnrollmentError(f"{tz!r} is not a time zone (try America/Chicago)") from None
    return tz


def parse_phone(raw: str) -> str:
    phone = normalize_phone(raw, current_app.config["DEFAULT_REGION"], strict=True)
    if phone is None:
        raise EnrollmentError(f"{raw!r} is not a valid phone number")
    return phone


def enroll(
    raw_phone: str,
    *,
    timezone: str | None = None,
    display_name: str = "",
    language: str = "en",
    discreet: bool = False,
    actor: str = "cli",
    source: str = "cli",
) -> Enrolled:
    """Create or update the patient and send the opt-in invitation. The caller commits."""
    phone = parse_phone(raw_phone)
    tz = check_timezone(timezone or current_app.config["DEFAULT_TIMEZONE"])
    patient = db.session.scalars(select(Patient).where(Patient.phone == phone)).first()
    created = patient is None
    if patient is None and _opted_out_before(phone):
        raise EnrollmentError(
            "this number opted out (STOP) before its record was erased; it can't be texted again"
        )
    if patient is None:
        patient = Patient(phone=phone, status=PENDING)
        db.session.add(patient)
    elif patient.status == STOPPED:
        raise EnrollmentError(
            "this number opted out (STOP); it can't be texted until the patient texts START"
        )
    patient.timezone = tz
    patient.display_name = display_name.strip()[:80]
    patient.language = language
    patient.discreet = discreet
    db.session.flush()

    invited = False
    if patient.status == PENDING and (created or not _invited_before(patient)):
        pipeline = current_app.extensions["nextsteps.pipeline"]
        send_text(phone, pipeline.render("opt_in_request"), patient=patient)
        db.session.add(
            ConsentEvent(
                phone=phone,
                patient_id=patient.id,
                event="opt_in_requested",
                source=source,
                detail=actor[:200],
            )
        )
        invited = True
    return Enrolled(patient, created, invited)


def _invited_before(patient: Patient) -> bool:
    return (
        db.session.scalars(
            select(ConsentEvent.id).where(
                ConsentEvent.patient_id == patient.id, ConsentEvent.event == "opt_in_requested"
            )
        ).first()
        is not None
    )


def _opted_out_before(phone: str) -> bool:
    """The number's last consent event (kept after erasure) is an opt-out."""
    last = db.session.scalars(
        select(ConsentEvent.event)
        .where(ConsentEvent.phone == phone)
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
        .limit(1)
    ).first()
    return last == "opt_out"
