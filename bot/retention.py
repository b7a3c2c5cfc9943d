"""Retention: message bodies older than RETENTION_DAYS are blanked by the clock.

What stays is who (number, patient), when, the topic, the direction and the delivery
status: enough for the metrics, the audit of what was sent, and the staff thread ("a
text about hospice, delivered, 14 months ago"). The body, a reminder's text and the
staff's handling note go: they describe symptoms. Consent and opt-out events are never
touched here: they are the legal proof (see SECURITY.md, "Retention and erasure").
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import or_, update

from bot.extensions import db
from bot.models import CLAIMED, PLANNED, Message, Reminder


def blank_old_bodies(now: datetime, days: int) -> int:
    """Blank the bodies of texts (and reminders) older than `days`; the number of texts
    blanked. Caller commits."""
    cutoff = now - timedelta(days=days)
    texts = db.session.execute(
        update(Message)
        .where(Message.created_at < cutoff, or_(Message.body != "", Message.handled_note != ""))
        .values(body="", handled_note=None)
        .execution_options(synchronize_session=False)
    )
    # A reminder still waiting to go out keeps its text, however old its row.
    db.session.execute(
        update(Reminder)
        .where(
            Reminder.due_at < cutoff,
            Reminder.status.not_in((PLANNED, CLAIMED)),
            Reminder.body != "",
        )
        .values(body="")
        .execution_options(synchronize_session=False)
    )
    return texts.rowcount or 0
