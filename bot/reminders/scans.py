"""Add, move and cancel scan appointments; every change replans the patient's reminders.

The one implementation behind the staff console and the CLI.
"""

from __future__ import annotations

from datetime import datetime

from bot.extensions import db
from bot.models import CANCELLED, SCHEDULED, Patient, Scan
from bot.reminders.planner import replan
from bot.timeutil import to_utc, utcnow

SCAN_KINDS = ("CT", "PET")


class ScanError(ValueError):
    """Bad scan input; the message is shown to staff as is."""


def _check_kind(kind: str) -> str:
    kind = (kind or "CT").upper()
    if kind not in SCAN_KINDS:
        raise ScanError(f"scan type must be one of {', '.join(SCAN_KINDS)}")
    return kind


def check_scan_time(local_when: datetime, tz: str, now: datetime | None = None) -> datetime:
    """The scan's time in UTC. Reminders are for scans to come: a time past is a typo."""
    when = to_utc(local_when, tz)
    if when <= (now or utcnow()):
        raise ScanError("the scan time is in the past")
    return when


def add_scan(
    patient: Patient,
    local_when: datetime,
    kind: str = "CT",
    place: str = "",
    now: datetime | None = None,
    time_confirmed: bool = True,
) -> Scan:
    """A scan at `local_when`, wall-clock time in the patient's zone. Caller commits.
    Without a confirmed time (a date from the rescan rhythm), texts and pages say "time to
    be confirmed" rather than the placeholder hour."""
    scan = Scan(
        patient=patient,
        scheduled_at=check_scan_time(local_when, patient.timezone, now),
        kind=_check_kind(kind),
        place=place.strip()[:120],
        status=SCHEDULED,
        time_confirmed=time_confirmed,
    )
    db.session.add(scan)
    db.session.flush()
    replan(patient, now)
    return scan


def move_scan(scan: Scan, local_when: datetime, now: datetime | None = None) -> Scan:
    scan.scheduled_at = check_scan_time(local_when, scan.patient.timezone, now)
    scan.status = SCHEDULED
    scan.time_confirmed = True  # staff gave the date and time
    db.session.flush()
    replan(scan.patient, now)
    return scan


def cancel_scan(scan: Scan) -> Scan:
    scan.status = CANCELLED
    db.session.flush()
    replan(scan.patient)
    return scan
