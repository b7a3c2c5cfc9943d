"""Send one text outside a webhook reply (opt-in invitations, reminders) and record it.

Only sends and records: what a failed send means for the patient (opted out at Twilio,
a number that can't get texts) is `bot.patients.consent.apply_send_failure`, called by
the sender.
"""

from __future__ import annotations

from flask import current_app

from bot.extensions import db
from bot.logs import log_event
from bot.models import OUTBOUND, Message, Patient
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


def record_outbound(
    phone: str,
    body: str,
    result: tr.SendResult,
    patient: Patient | None = None,
    reminder_id: int | None = None,
    topic: str | None = None,
) -> Message:
    """Record what one send did as a `messages` row. The caller commits.

    Used by `send_text` and by the reminder dispatcher, which sends from worker threads
    and records here afterwards.
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
        log_event("sms.not_sent", phone=phone, outcome=result.outcome, code=result.error_code)
    return msg


def send_text(
    phone: str, body: str, patient: Patient | None = None, reminder_id: int | None = None
) -> tuple[tr.SendResult, Message]:
    """Send now and record the outbound message (the caller commits)."""
    result = get_transport().send(phone, body, status_callback_url())
    return result, record_outbound(phone, body, result, patient, reminder_id)
