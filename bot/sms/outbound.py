"""Send one text outside a webhook reply (opt-in invitations, reminders) and record it."""

from __future__ import annotations

from flask import current_app

from bot.extensions import db
from bot.logs import log_event
from bot.models import (
    CANCELLED,
    CLAIMED,
    OUTBOUND,
    PLANNED,
    STOPPED,
    ConsentEvent,
    Message,
    Patient,
    Reminder,
)
from bot.sms import transport as tr

STATUS_CALLBACK_PATH = "/sms/status"


def status_callback_url() -> str | None:
    """Where Twilio posts delivery updates: only when we know our public URL."""
    base = current_app.config["PUBLIC_BASE_URL"]
    if not base:
        return None
    return base + STATUS_CALLBACK_PATH


def get_transport() -> tr.ConsoleTransport | tr.TwilioTransport:
    return current_app.extensions["nextsteps.transport"]


def mark_stopped(patient: Patient, source: str, detail: str) -> None:
    """Opted out (by text or by Twilio's 21610): record consent, cancel what was planned."""
    if patient.status != STOPPED:
        patient.status = STOPPED
        db.session.add(
            ConsentEvent(
                phone=patient.phone,
                patient_id=patient.id,
                event="opt_out",
                source=source,
                detail=detail[:200],
            )
        )
    cancel_planned_reminders(patient, "patient opted out")


def cancel_planned_reminders(patient: Patient, note: str) -> None:
    """Nothing more goes out: every reminder not yet sent is cancelled (opt-out, pause)."""
    db.session.execute(
        db.update(Reminder)
        .where(Reminder.patient_id == patient.id, Reminder.status.in_((PLANNED, CLAIMED)))
        .values(status=CANCELLED, note=note[:200])
    )


def apply_failure(patient: Patient | None, result: tr.SendResult) -> None:
    """What a permanent send failure means for the patient record."""
    if patient is None:
        return
    if result.outcome == tr.OPTED_OUT:
        mark_stopped(patient, "twilio", f"error {result.error_code}")
    elif result.outcome == tr.BAD_NUMBER:
        patient.flag_reason = f"Twilio error {result.error_code}: number cannot get texts"


def record_outbound(
    phone: str,
    body: str,
    result: tr.SendResult,
    patient: Patient | None = None,
    reminder_id: int | None = None,
    topic: str | None = None,
) -> Message:
    """Record what one send did, and what a permanent failure means for the patient.

    The caller commits. Used by `send_text` and by the reminder dispatcher, which sends
    from worker threads and records here afterwards.
    """
    msg = Message(
        direction=OUTBOUND,
        phone=phone,
        patient_id=patient.id if patient else None,
        body=body,
        topic=topic,
        twilio_sid=result.sid,
        status=(result.status or "queued") if result.outcome == tr.SENT else "failed",
        error_code=result.error_code,
        reminder_id=reminder_id,
    )
    db.session.add(msg)
    if result.outcome != tr.SENT:
        apply_failure(patient, result)
        log_event("sms.not_sent", phone=phone, outcome=result.outcome, code=result.error_code)
    return msg


def send_text(
    phone: str, body: str, patient: Patient | None = None, reminder_id: int | None = None
) -> tuple[tr.SendResult, Message]:
    """Send now and record the outbound message (the caller commits)."""
    result = get_transport().send(phone, body, status_callback_url())
    return result, record_outbound(phone, body, result, patient, reminder_id)
