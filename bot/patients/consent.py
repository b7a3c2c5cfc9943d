"""Consent: opt-in and opt-out, and the history that proves them.

`consent_events` is append-only and keyed by phone as well as patient, so the proof of
consent and of opt-out outlives an erased record. Callers commit.
"""

from __future__ import annotations

from sqlalchemy import select

from bot.extensions import db
from bot.models import ConsentEvent, Patient
from bot.patients.status import ConsentKind, PatientStatus
from bot.reminders.planner import cancel_planned_reminders, replan
from bot.sms import transport as tr


def record_consent(patient: Patient, event: str, source: str, detail: str = "") -> None:
    """One consent event (source: sms, staff, import, cli, twilio)."""
    db.session.add(
        ConsentEvent(
            phone=patient.phone,
            patient_id=patient.id,
            event=event,
            source=source,
            detail=detail[:200],
        )
    )


def opt_out(patient: Patient, source: str, detail: str) -> None:
    """Opted out (STOP, staff unenroll, Twilio's 21610): record it, cancel what was planned."""
    if patient.status != PatientStatus.STOPPED:
        patient.status = PatientStatus.STOPPED
        record_consent(patient, ConsentKind.OPT_OUT, source, detail)
    cancel_planned_reminders(patient, "patient opted out")


def set_status_by_text(patient: Patient, status: str, event: str, detail: str) -> None:
    """A consent word the patient texted (YES, START...). Becoming active plans the
    reminders for scans already set."""
    if status == PatientStatus.STOPPED:
        opt_out(patient, "sms", detail)
        return
    if patient.status == status:
        return
    patient.status = status
    record_consent(patient, event, "sms", detail)
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
