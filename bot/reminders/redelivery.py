"""A reminder Twilio accepted but could not deliver for a reason that may pass (30003:
the handset is off or out of coverage) is sent again, with the same backoff and within
the same SEND_MAX_ATTEMPTS as a refused send. Called from the delivery status callback."""

from __future__ import annotations

from datetime import datetime

from flask import current_app

from bot.extensions import db
from bot.models import FAILED, PLANNED, SENT, Reminder
from bot.reminders.backoff import retry_delay


def retry_undelivered(reminder_id: int, sid: str, code: int, now: datetime) -> str | None:
    """Back to planned (or failed, out of attempts); the new status, or None when the
    report is about an older attempt or a reminder no longer sent. Caller commits."""
    reminder = db.session.get(Reminder, reminder_id)
    if reminder is None or reminder.status != SENT or reminder.twilio_sid != sid:
        return None  # erased, already retried, or a late report on an earlier attempt
    config = current_app.config
    reminder.error_code = code
    if reminder.attempts >= config["SEND_MAX_ATTEMPTS"]:
        reminder.status = FAILED
        reminder.note = f"undelivered (error {code}) after {reminder.attempts} attempt(s)"
        return FAILED
    reminder.status = PLANNED
    reminder.next_attempt_at = now + retry_delay(
        reminder.attempts, config["SEND_RETRY_BASE_SECONDS"]
    )
    reminder.note = f"attempt {reminder.attempts} undelivered (error {code}): will retry"
    return PLANNED
