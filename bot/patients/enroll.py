"""Enroll a phone number for reminders: the one implementation behind the staff console,
the CSV import and `flask patients enroll`.

Double opt-in: a new number gets the invitation text and stays *pending* until it
replies YES. The invitation is saved with the enrolment and sent only after the caller
commits (`send_invitation`), then retried by the clock like a staff text: nothing is
printed or sent for an enrolment that did not commit. Re-enrolling a number updates it
and never creates a second patient. A number that texted STOP is never texted again
until the patient texts START.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from bot.conversation import staff_texts
from bot.extensions import db
from bot.models import PENDING, STOPPED, Message, Patient, utcnow
from bot.patients.consent import opted_out_last, record_consent, was_invited
from bot.patients.status import ConsentKind
from bot.phones import normalize_phone, why_no_sms
from bot.queries import patient_by_phone


class EnrollmentError(ValueError):
    """The input can't be enrolled; the message is shown to staff as is."""


@dataclass(frozen=True)
class Enrolled:
    patient: Patient
    created: bool
    invited: bool  # whether an opt-in text was queued now
    invitation: Message | None = None  # the queued text: send_invitation() after commit


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
    now: datetime | None = None,
) -> Enrolled:
    """Create or update the patient and queue the opt-in invitation. The caller commits,
    then calls `send_invitation`."""
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
    elif patient.status == STOPPED and patient.unenrolled_from is not None:
        raise EnrollmentError(
            "staff unenrolled this patient: use Undo unenroll on the patient's page"
        )
    elif patient.status == STOPPED:
        raise EnrollmentError(
            "this number opted out (STOP); it can't be texted until the patient texts START"
        )
    patient.timezone = tz
    patient.display_name = display_name.strip()[:80]
    patient.language = language
    patient.discreet = discreet
    db.session.flush()

    invitation = None
    if patient.status == PENDING and (created or not was_invited(patient)):
        pipeline = current_app.extensions["nextsteps.pipeline"]
        # Not knowing the patient's language, ask in both.
        key = "opt_in_request" if patient.language else "opt_in_request_bilingual"
        body = pipeline.render(key, patient.language)
        when = now or utcnow()
        invitation = staff_texts.queue(patient, body, actor, when, staff_texts.OPT_IN_TOPIC)
        record_consent(patient, ConsentKind.OPT_IN_REQUESTED, source, actor)
    return Enrolled(patient, created, invitation is not None, invitation)


def send_invitation(invitation: Message | None, now: datetime | None = None) -> str | None:
    """Send a committed invitation once; a refusal for now is left to the clock's retry.
    Returns its status (None: nothing to send)."""
    if invitation is None:
        return None
    config = current_app.config
    retry_after = timedelta(seconds=config["SEND_RETRY_BASE_SECONDS"])
    return staff_texts.send(invitation, now or utcnow(), retry_after, config)


def describe_invitation(status: str | None) -> str:
    """What became of the invitation, in the words staff read (CLI, console, import)."""
    if status is None:
        return "no opt-in text sent"
    if status in (staff_texts.StaffTextState.RETRYING, staff_texts.StaffTextState.UNKNOWN):
        return "opt-in text not sent yet: the clock will try again"
    if status == staff_texts.StaffTextState.FAILED:
        return "opt-in text could not be sent (see the patient's page)"
    return "opt-in text sent"
