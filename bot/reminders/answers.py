"""A patient's answer to a reminder: C confirms the scan, R asks for a new time.

The pipeline reads the letter (only while our last text is a recent reminder, so a bare
"C" can never swallow a STOP or a red flag, which are read first); this records it. R's
staff task is the inbox flag on the text itself (FLAG_RESCHEDULE).
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import select

from bot.extensions import db
from bot.models import Patient, ScanReply
from bot.patients.status import ScanReplyKind


class _Awaiting(Protocol):
    reminder_id: int
    scan_id: int | None


def record_reply(
    patient: Patient, reply: tuple[ScanReplyKind, _Awaiting], message_id: int | None
) -> ScanReply:
    """Store a C or R against the scan the reminder was about. The caller commits."""
    kind, awaiting = reply
    row = ScanReply(
        patient_id=patient.id,
        scan_id=awaiting.scan_id,
        reminder_id=awaiting.reminder_id,
        kind=kind,
        message_id=message_id,
    )
    db.session.add(row)
    return row


def replies_of(patient_id: int) -> list[ScanReply]:
    """The patient's C/R answers, oldest first (patient page, `flask patients show`)."""
    return list(
        db.session.scalars(
            select(ScanReply).where(ScanReply.patient_id == patient_id).order_by(ScanReply.id)
        )
    )
