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

from bot.extensions import db
from bot.models import PENDING, STOPPED, Patient
from bot.patients.consent import apply_send_failure, opted_out_last, record_consent, was_invited
from bot.patients.status import ConsentKind
from bot.phones import normalize_phone, why_no_sms
from bot.queries import patient_by_phone
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
    kind = why_no_sms(phone)
    if kind is not None:
        raise EnrollmentError(f"{raw!r} is {kind}: it cannot get texts")
    return phone


def enroll(
    raw_phone: str,
    *,
    timezone: str | None = None,
    display_name: str = "",
    language: str | None = None,
    discreet: bool = False,
    actor: str = "cli",
    source: str = "cli",
) -> Enrolled:
    """Create or update the patient and send the opt-in invitation. The caller commits."""
    phone = parse_phone(raw_phone)
    tz = check_timezone(timezone or current_app.config["DEFAULT_TIMEZONE"])
    patient = patient_by_phone(phone)
    created = patient is None
    if patient is None and opted_out_last(phone):
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
    if patient.status == PENDING and (created or not was_invited(patient)):
        pipeline = current_app.extensions["nextsteps.pipeline"]
        # Not knowing the patient's language, ask in both.
        key = "opt_in_request" if patient.language else "opt_in_request_bilingual"
        result, _ = send_text(phone, pipeline.render(key, patient.language), patient=patient)
        apply_send_failure(patient, result)
        record_consent(patient, ConsentKind.OPT_IN_REQUESTED, source, actor)
        invited = True
    return Enrolled(patient, created, invited)
