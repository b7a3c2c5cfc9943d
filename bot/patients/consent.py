"""Consent: opt-in and opt-out, and the history that proves them.

`consent_events` is append-only and keyed by phone as well as patient, so the proof of
consent and of opt-out outlives an erased record. Callers commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from bot.extensions import db
from bot.models import ConsentEvent, Patient
from bot.patients.status import ConsentKind, PatientStatus
from bot.reminders.planner import cancel_planned_reminders, replan
from bot.sms import transport as tr

# The events that decide whether a number may be texted (an invitation decides nothing).
DECISIONS = (ConsentKind.OPT_IN, ConsentKind.OPT_OUT)


def record_consent(
    patient: Patient, event: str, source: str, detail: str = "", at: datetime | None = None
) -> None:
    """One consent event (source: sms, staff, import, cli, twilio), at the time it was
    made: for a text, when it arrived (a replayed text keeps its arrival time)."""
    db.session.add(
        ConsentEvent(
            phone=patient.phone,
            patient_id=patient.id,
            event=event,
            source=source,
            detail=detail[:200],
            **({"created_at": at} if at is not None else {}),
        )
    )


def opt_out(patient: Patient, source: str, detail: str, at: datetime | None = None) -> None:
    """Opted out (STOP, Twilio's 21610): record it, cancel what was planned. A patient staff
    had unenrolled who texts STOP has now opted out themselves: staff can't undo that."""
    if patient.status != PatientStatus.STOPPED or patient.unenrolled_from is not None:
        patient.status = PatientStatus.STOPPED
        patient.unenrolled_from = None
        record_consent(patient, ConsentKind.OPT_OUT, source, detail, at)
    cancel_planned_reminders(patient, "patient opted out")


def decided_after(phone: str, at: datetime) -> bool:
    """A consent decision for this number newer than `at`: an older text (replayed from
    the spool, or overtaken by a racing one) must not undo it."""
    newer = select(ConsentEvent.id).where(
        ConsentEvent.phone == phone,
        ConsentEvent.event.in_(DECISIONS),
        ConsentEvent.created_at > at,
    )
    return _first(newer) is not None


def set_status_by_text(
    patient: Patient, status: str, event: str, detail: str, at: datetime | None = None
) -> None:
    """A consent word the patient texted (YES, START, STOP...) at `at` (when it arrived).
    Becoming active plans the reminders for scans already set. A word older than the
    number's newest decision is kept in the history at its own time and changes nothing."""
    kind = ConsentKind.OPT_OUT if status == PatientStatus.STOPPED else event
    if at is not None and decided_after(patient.phone, at):
        record_consent(patient, kind, "sms", f"superseded by a newer decision: {detail}", at)
        return
    if patient.status == status and patient.unenrolled_from is None:
        # Nothing changes, but the patient's word is kept: it is their latest decision,
        # and an older text replayed later must not undo it.
        record_consent(patient, kind, "sms", f"{detail} (already {status})", at)
        if status == PatientStatus.STOPPED:
            cancel_planned_reminders(patient, "patient opted out")
        return
    if status == PatientStatus.STOPPED:
        opt_out(patient, "sms", detail, at)
        return
    patient.status = status
    patient.unenrolled_from = None  # the patient's own START/YES ends a staff unenroll
    record_consent(patient, event, "sms", detail, at)
    if status == PatientStatus.ACTIVE:
        replan(patient)


def apply_send_failure(patient: Patient | None, result: tr.SendResult) -> None:
    """What a permanent send failure means for the patient: opted out, or a bad number."""
    if patient is None:
        return
    if result.outcome == tr.OPTED_OUT:
        opt_out(patient, "twilio", f"error {result.error_code}")
    elif result.outcome == tr.BAD_NUMBER:
        patient.flag_reason = f"Twilio error {result.error_code}: number cannot get texts"


def was_invited(patient: Patient) -> bool:
    return (
        _first(
            select(ConsentEvent.id).where(
                ConsentEvent.patient_id == patient.id,
                ConsentEvent.event == ConsentKind.OPT_IN_REQUESTED,
            )
        )
        is not None
    )


def opted_out_last(phone: str) -> bool:
    """The number's last consent event (kept after erasure) is an opt-out."""
    last = _first(
        select(ConsentEvent.event)
        .where(ConsentEvent.phone == phone)
        .order_by(ConsentEvent.created_at.desc(), ConsentEvent.id.desc())
    )
    return last == ConsentKind.OPT_OUT


def _first(query):  # noqa: ANN001, ANN202
    return db.session.scalars(query.limit(1)).first()
