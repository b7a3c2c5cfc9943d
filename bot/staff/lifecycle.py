"""Pause, resume, unenroll and erase a patient: the status changes staff make.

Each function changes the database and adds its audit row; the caller commits.
"""

from __future__ import annotations

from sqlalchemy import delete, or_, update

from bot.extensions import db
from bot.models import (
    ACTIVE,
    PAUSED,
    STOPPED,
    ConsentEvent,
    Message,
    Patient,
    Reminder,
    Scan,
)
from bot.sms.outbound import cancel_planned_reminders, mark_stopped
from bot.staff import audit


class LifecycleError(ValueError):
    """The change doesn't apply to this patient now; the message is shown to staff."""


def pause(patient: Patient) -> None:
    """Nothing more is sent until resumed. Only an active patient can be paused: pausing
    a pending one would let resume() activate a number that never replied YES."""
    if patient.status != ACTIVE:
        raise LifecycleError(f"only an active patient can be paused (this one is {patient.status})")
    patient.status = PAUSED
    cancel_planned_reminders(patient, "paused by staff")
    audit.record("patient.pause", audit.patient_target(patient.id))


def resume(patient: Patient) -> None:
    if patient.status != PAUSED:
        raise LifecycleError(f"only a paused patient can be resumed (this one is {patient.status})")
    patient.status = ACTIVE
    db.session.flush()
    # Imported here, as in bot.scans: schedules uses bot, bot needs only this entry point.
    from schedules.planner import replan

    replan(patient)
    audit.record("patient.resume", audit.patient_target(patient.id))


def unenroll(patient: Patient, actor: str) -> None:
    """Stop texting: an opt-out consent event from staff; only the patient texting START
    brings the number back."""
    if patient.status == STOPPED:
        raise LifecycleError("this patient is already unenrolled")
    mark_stopped(patient, "staff", actor)
    audit.record("patient.unenroll", audit.patient_target(patient.id), actor=actor)


def erase(patient: Patient) -> int:
    """Delete the patient and everything about them; returns the erased patient's id.

    Consent events stay, because proof of consent and of opt-out must outlive the record
    (and a number that texted STOP must not be invited again): each keeps the number, the
    event, its source and time. The link to the patient goes, and so does the detail of
    events the patient's own text produced (it quotes their words). The audit row holds
    the patient id only.
    """
    pid, phone = patient.id, patient.phone
    mine = or_(ConsentEvent.patient_id == pid, ConsentEvent.phone == phone)
    db.session.execute(
        update(ConsentEvent).where(mine, ConsentEvent.source == "sms").values(detail="")
    )
    db.session.execute(update(ConsentEvent).where(mine).values(patient_id=None))
    db.session.execute(
        delete(Message).where(or_(Message.patient_id == pid, Message.phone == phone))
    )
    db.session.execute(delete(Reminder).where(Reminder.patient_id == pid))
    db.session.execute(delete(Scan).where(Scan.patient_id == pid))
    db.session.execute(delete(Patient).where(Patient.id == pid))
    audit.record("patient.erase", audit.patient_target(pid))
    return pid
