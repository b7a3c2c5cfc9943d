"""Edit a patient's details (name, time zone, language, discreet mode) after enrolment.

The phone number is not editable: it is the patient's identity for consent (a new
number is a new enrolment, with its own opt-in). A new time zone replans the reminders
(10:00 in the new zone, quiet hours there); scans keep their moment, which staff then
see in the new zone. The caller audits (field names only) and commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.models import Patient
from bot.patients.enroll import EnrollmentError, check_timezone
from bot.reminders.planner import replan
from content import LANGUAGES

EDITABLE = ("display_name", "timezone", "language", "discreet")
# Changes that alter when or what the planned reminders say.
REPLANS = frozenset({"timezone", "language", "discreet"})


@dataclass(frozen=True)
class Details:
    display_name: str
    timezone: str
    language: str | None  # None: not known yet
    discreet: bool


def update_details(patient: Patient, wanted: Details, now: datetime | None = None) -> list[str]:
    """Apply the new details; the names of the fields that changed. Raises
    EnrollmentError (shown to staff) for a zone or language we don't know."""
    check_timezone(wanted.timezone)
    if wanted.language not in (None, *LANGUAGES):
        raise EnrollmentError(f"{wanted.language!r} is not a language we text in")
    wanted = Details(
        wanted.display_name.strip()[:80], wanted.timezone, wanted.language, wanted.discreet
    )
    changed = [f for f in EDITABLE if getattr(patient, f) != getattr(wanted, f)]
    for name in changed:
        setattr(patient, name, getattr(wanted, name))
    if REPLANS.intersection(changed):
        replan(patient, now)
    return changed
