"""Retry staff texts (and opt-in invitations) on the clock, like reminders: Twilio
refused for now (429, 5xx) -> again after the reminders' backoff; no readable answer, or
a process that died mid-call -> after REMINDER_LEASE_SECONDS ask Twilio whether it has
the text, else resend.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, text

from bot.conversation import staff_texts as st
from bot.extensions import db
from bot.logs import log_event
from bot.models import Message
from bot.reminders.backoff import retry_delay
from bot.sms import transport as tr
from bot.sms.outbound import get_transport

# A literal, so the planner can use the partial index ix_messages_retried_status.
_STAFF = text("messages.topic IN (" + ", ".join(f"'{t}'" for t in st.RETRIED_TOPICS) + ")")
# Twilio's clock and ours may differ a little; the body match does the real work.
MARGIN = timedelta(minutes=10)


def _due(now: datetime) -> list[tuple[int, str]]:
    lease = timedelta(seconds=current_app.config["REMINDER_LEASE_SECONDS"])
    retrying = (Message.status == st.StaffTextState.RETRYING, Message.next_attempt_at <= now)
    stale = (
        Message.status.in_((st.StaffTextState.UNKNOWN, st.StaffTextState.SENDING)),
        Message.updated_at < now - lease,
    )
    rows = db.session.execute(
        select(Message.id, Message.status)
        .where(_STAFF, or_(*(a & b for a, b in [retrying, stale])))
        .order_by(Message.id)
        .limit(200)
    ).all()
    db.session.commit()
    return [(row.id, row.status) for row in rows]


def _at_twilio(msg: Message) -> dict | None:
    """Twilio's message with this body to this number that no row of ours records yet."""
    listed = get_transport().list_recent(msg.phone, msg.created_at - MARGIN)
    found = [m for m in listed if m.get("body") == msg.body and m.get("sid")]
    known = set(
        db.session.scalars(
            select(Message.twilio_sid).where(Message.twilio_sid.in_([m["sid"] for m in found]))
        )
    )
    return next((m for m in found if m["sid"] not in known), None)


def _one(msg_id: int, status: str, now: datetime) -> str:
    config = current_app.config
    if not st.take(msg_id, status):
        db.session.rollback()
        return "taken"
    msg = db.session.get(Message, msg_id)
    delay = retry_delay(msg.attempts + 1, config["SEND_RETRY_BASE_SECONDS"])
    if status != st.StaffTextState.RETRYING:
        match = _at_twilio(msg)
        if match is not None:
            found = tr.SendResult(tr.SENT, match["sid"], match.get("status"))
            st.record(msg, found, now, delay, config)
            msg.attempts -= 1  # found, not sent again
            db.session.commit()
            return "found"
    return st.send(msg, now, delay, config)


def resend_due(now: datetime) -> int:
    """Send again every staff text due for a retry; the number of rows tried."""
    tried = 0
    try:
        due = _due(now)
    except Exception as exc:  # e.g. the database busy: the next tick tries again
        db.session.rollback()
        log_event("staff_text.retry_skipped", error=type(exc).__name__)
        return 0
    for msg_id, status in due:
        try:
            outcome = _one(msg_id, status, now)
        except Exception as exc:  # one odd row never stops the tick; it is tried again
            db.session.rollback()
            log_event("staff_text.retry_failed", id=msg_id, error=type(exc).__name__)
            continue
        tried += outcome != "taken"
    return tried
