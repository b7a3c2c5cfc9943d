"""Enroll one patient from staff input: the enroll form and each CSV row come through here.

`check()` validates everything that can be checked without sending a text (phone, zone,
language, scan time and type, rhythm), so a bad row never gets as far as the opt-in
text. `apply()` then calls `bot.patients.enroll.enroll()` (the one implementation of enroll:
double opt-in, no duplicates, stopped numbers refused), stores the rescan rhythm, adds
the scan unless the patient already has it, and writes the audit rows. The caller commits
(or rolls back) the whole of it as one unit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select

from bot.extensions import db
from bot.models import SCHEDULED, Message, Patient, Scan
from bot.patients.enroll import EnrollmentError, check_timezone, enroll, parse_phone
from bot.reminders.rhythm import apply_rhythm
from bot.reminders.scans import SCAN_KINDS, ScanError, add_scan, check_scan_time
from bot.staff import audit
from bot.timeutil import to_utc
from content import LANGUAGES

COMMON_TIMEZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",  # no DST
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
)
MAX_RHYTHM_WEEKS = 104
# What check() and apply() raise for input staff can fix; shown to them as is.
INPUT_ERRORS = (EnrollmentError, ScanError)


@dataclass(frozen=True)
class Intake:
    """What staff typed (or a CSV row held) about one patient."""

    phone: str
    display_name: str = ""
    timezone: str = ""  # blank: DEFAULT_TIMEZONE
    language: str | None = None  # None: not known yet (the opt-in asks in both)
    discreet: bool = False
    scan_at: datetime | None = None  # wall-clock time in the patient's zone
    scan_kind: str = "CT"
    treatment_start: date | None = None
    rhythm_first_weeks: int | None = None
    rhythm_every_weeks: int | None = None


@dataclass(frozen=True)
class Applied:
    patient: Patient
    created: bool
    invited: bool  # an opt-in text was queued: send_invitation(invitation) after commit
    scan_added: bool
    invitation: Message | None = None
    scan: Scan | None = None  # the scan given (new or already booked), or the rhythm's first


def check(intake: Intake) -> Intake:
    """The same intake, normalised (E.164 phone, zone filled in). Raises INPUT_ERRORS."""
    phone = parse_phone(intake.phone)
    tz = check_timezone(intake.timezone.strip() or current_app.config["DEFAULT_TIMEZONE"])
    if intake.language and intake.language not in LANGUAGES:
        raise EnrollmentError(f"language must be one of {', '.join(LANGUAGES)}")
    if len(intake.display_name.strip()) > 80:
        raise EnrollmentError("the name must be at most 80 characters (initials are enough)")
    kind = (intake.scan_kind or "CT").strip().upper()
    if kind not in SCAN_KINDS:
        raise ScanError(f"scan type must be one of {', '.join(SCAN_KINDS)}")
    if intake.scan_at is not None:
        check_scan_time(intake.scan_at, tz)
    rhythm = (intake.treatment_start, intake.rhythm_first_weeks, intake.rhythm_every_weeks)
    if any(v is not None for v in rhythm):
        if any(v is None for v in rhythm):
            raise EnrollmentError(
                "a rescan rhythm needs all three: treatment start, first scan after N weeks,"
                " then every M weeks"
            )
        for weeks in rhythm[1:]:
            if not 1 <= weeks <= MAX_RHYTHM_WEEKS:
                raise EnrollmentError(f"rhythm weeks must be between 1 and {MAX_RHYTHM_WEEKS}")
    return replace(
        intake, phone=phone, timezone=tz, display_name=intake.display_name.strip(), scan_kind=kind
    )


def apply(intake: Intake, *, actor: str, source: str, now: datetime | None = None) -> Applied:
    """Enroll (or update) and add the scan. Raises INPUT_ERRORS. Caller commits, then
    sends the invitation (`bot.patients.enroll.send_invitation`)."""
    intake = check(intake)
    result = enroll(
        intake.phone,
        timezone=intake.timezone,
        display_name=intake.display_name,
        language=intake.language or None,
        discreet=intake.discreet,
        actor=actor,
        source=source,
        now=now,
    )
    patient = result.patient
    scan, scan_added = _book_scan(patient, intake, actor)
    audit.record(
        "patient.enroll",
        audit.patient_target(patient.id),
        f"via {source}; new={result.created} invited={result.invited}",
        actor,
    )
    return Applied(
        patient, result.created, result.invited, scan_added, result.invitation, scan
    )


def _book_scan(patient: Patient, intake: Intake, actor: str) -> tuple[Scan | None, bool]:
    """Store the rhythm and add the scan given, else the rhythm's first: (the scan, whether
    it was added now, and audited). The same scan given twice is booked once."""
    if intake.treatment_start is not None:
        patient.treatment_start = datetime.combine(intake.treatment_start, datetime.min.time())
        patient.rhythm_first_weeks = intake.rhythm_first_weeks
        patient.rhythm_every_weeks = intake.rhythm_every_weeks
    scan, why = None, ""
    booked = _has_scan(patient, intake) if intake.scan_at is not None else None
    if booked is not None:
        return booked, False
    if intake.scan_at is not None:
        scan = add_scan(patient, intake.scan_at, intake.scan_kind)
    elif intake.scan_at is None and intake.treatment_start is not None:
        # No date given: book the first scan of the rhythm (the clock books the ones after).
        scan = apply_rhythm(patient, kind=intake.scan_kind)
        why = " from the rescan rhythm"
    if scan is None:
        return None, False
    target = audit.patient_target(patient.id)
    audit.record("scan.add", target, f"scan:{scan.id} {scan.kind}{why}", actor)
    return scan, True


def _has_scan(patient: Patient, intake: Intake) -> Scan | None:
    """Already booked: the same file imported twice must not book the scan twice."""
    assert intake.scan_at is not None
    when = to_utc(intake.scan_at, patient.timezone)
    return db.session.scalars(
        select(Scan).where(
            Scan.patient_id == patient.id,
            Scan.status == SCHEDULED,
            Scan.scheduled_at == when,
            Scan.kind == intake.scan_kind,
        )
    ).first()
