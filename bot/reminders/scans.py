"""Add, move and cancel scan appointments; every change replans the patient's reminders.

The one implementation behind the staff console and the CLI.
"""

from __future__ import annotations

from datetime import datetime

from bot.extensions import db
from bot.models import CANCELLED, SCHEDULED, Patient, Scan
from bot.reminders.planner import replan
from bot.timeutil import to_utc

SCAN_KINDS = ("CT", "PET")


class ScanError(ValueError):
    """Bad scan input; the message is shown to staff as is."""


def _check_kind(kind: str) -> str:
    kind = (kind or "CT").upper()
    if kind not in SCAN_KINDS:
        raise ScanError(f"scan type must be one of {', '.join(SCAN_KINDS)}")
    return kind


def add_scan(patient: Patient, local_when: datetime, kind: str = "CT", place: str = "") -> Scan:
    """A scan at `local_when`, wall-clock time in the patient's zone. Caller commits."""
    scan = Scan(
        patient=patient,
        scheduled_at=to_utc(local_when, patient.timezone),
        kind=_check_kind(kind),
        place=place.strip()[:120],
        status=SCHEDULED,
    )
    db.session.add(scan)
    db.session.flush()
    replan(patient)
    return scan


def move_scan(scan: Scan, local_when: datetime) -> Scan:
    scan.scheduled_at = to_utc(local_when, scan.patient.timezone)
    scan.status = SCHEDULED
    db.session.flush()
    replan(scan.patient)
    return scan


def cancel_scan(scan: Scan) -> Scan:
    scan.status = CANCELLED
    db.session.flush()
    replan(scan.patient)
    return scan
