"""Pause, resume, unenroll and erase a patient: the status changes staff make.

Each function changes the database only; the caller audits and commits.
"""

from __future__ import annotations

from sqlalchemy import delete, update

from bot.extensions import db
from bot.models import ConsentEvent, Message, Patient, Reminder, Scan
from bot.patients.consent import record_consent
from bot.patients.status import ConsentKind, PatientStatus
from bot.queries import consent_of, messages_of
from bot.reminders.planner import cancel_planned_reminders, replan


class LifecycleError(ValueError):
    """The change doesn't apply to this patient now; the message is shown to staff."""


def pause(patient: Patient) -> None:
    """Nothing more is sent until resumed. Only an active patient can be paused: pausing
    a pending one would let resume() activate a number that never replied YES."""
    if patient.status != PatientStatus.ACTIVE:
        raise LifecycleError(f"only an active patient can be paused (this one is {patient.status})")
    patient.status = PatientStatus.PAUSED
    cancel_planned_reminders(patient, "paused by staff")


def resume(patient: Patient) -> None:
    if patient.status != PatientStatus.PAUSED:
        raise LifecycleError(f"only a paused patient can be resumed (this one is {patient.status})")
    patient.status = PatientStatus.ACTIVE
    db.session.flush()
    replan(patient)


def unenroll(patient: Patient, actor: str) -> str:
    """Staff stop all texts. The staff's act, recorded as such (not as the patient's STOP):
    the status it had is kept so staff can undo it; returns that status."""
    if patient.status == PatientStatus.STOPPED:
        why = "unenrolled by staff" if patient.unenrolled_from else "opted out (STOP)"
        raise LifecycleError(f"this patient is already {why}")
    before = patient.status
    patient.unenrolled_from, patient.status = before, PatientStatus.STOPPED
    record_consent(patient, ConsentKind.STAFF_UNENROLLED, "staff", f"{actor}; was {before}")
    cancel_planned_reminders(patient, "unenrolled by staff")
    return before


def undo_unenroll(patient: Patient, actor: str) -> str:
    """Take back a staff unenroll: the status it had again, reminders replanned for the
    scans (which unenroll left in place), and no text sent. Refused once the patient has
    opted out (or back in) themselves. Returns the restored status."""
    if patient.status != PatientStatus.STOPPED or not patient.unenrolled_from:
        raise LifecycleError("only a patient unenrolled by staff can be re-enrolled by staff")
    restored = PatientStatus(patient.unenrolled_from)
    patient.status, patient.unenrolled_from = restored, None
    record_consent(patient, ConsentKind.STAFF_UNENROLL_UNDONE, "staff", f"{actor}; {restored}")
    db.session.flush()
    if restored == PatientStatus.ACTIVE:
        replan(patient)
    return restored


def erase(patient: Patient) -> int:
    """Delete the patient and everything about them; returns the erased patient's id.

    Consent events stay, because proof of consent and of opt-out must outlive the record
    (and a number that texted STOP must not be invited again): each keeps the number, the
    event, its source and time. The link to the patient goes, and so does the detail of
    events the patient's own text produced (it quotes their words).
    """
    pid, phone = patient.id, patient.phone
    mine = consent_of(pid, phone)
    db.session.execute(
        update(ConsentEvent).where(mine, ConsentEvent.source == "sms").values(detail="")
    )
    db.session.execute(update(ConsentEvent).where(mine).values(patient_id=None))
    db.session.execute(delete(Message).where(messages_of(pid, phone)))
    db.session.execute(delete(Reminder).where(Reminder.patient_id == pid))
    db.session.execute(delete(Scan).where(Scan.patient_id == pid))
    db.session.execute(delete(Patient).where(Patient.id == pid))
    return pid
