"""The phone simulator: a pretend patient texts, the webhook's own `decide()` answers.

Nothing is sent and nothing is stored in the database: the conversation is a plain dict
(the caller keeps it in the staff member's session), and what a text would change (STOP,
YES, a language switch) changes only that dict. What differs from a real phone, on
purpose: no loop guard, and the next scan is a pretend one a week ahead.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from bot.conversation.inbound import HistoryRow, cards_column, context_from, get_pipeline
from bot.models import ACTIVE, INBOUND, OUTBOUND, PENDING
from bot.sms.segments import segment_info
from bot.timeutil import When

# The session is a signed cookie (about 4 KB): keep the last few exchanges only.
KEEP_TURNS = 6
MAX_TEXT = 480
NOT_ENROLLED = "not_enrolled"
START_AS = {
    ACTIVE: "an active patient",
    PENDING: "invited, not yet YES",
    NOT_ENROLLED: "not enrolled",
}
PRETEND_SCAN_DAYS = 7


def fresh(start_as: str = ACTIVE, language: str | None = None) -> dict:
    """A new simulated patient: their status, language, and no texts yet."""
    status = start_as if start_as in START_AS else ACTIVE
    return {"status": None if status == NOT_ENROLLED else status, "language": language, "turns": []}


def _history(state: Mapping, now: datetime) -> list[HistoryRow]:
    """The thread as the webhook reads it, newest first."""
    rows = []
    for turn in state["turns"]:
        cards = turn.get("cards")  # the card given / offered, as Message.cards stores it
        rows.append(HistoryRow(INBOUND, turn["topic"], turn["text"], now, False, None, cards))
        if turn["reply"]:
            rows.append(HistoryRow(OUTBOUND, turn["topic"], turn["reply"], now, True))
    return rows[::-1]


def text(state: dict, body: str, now: datetime, tz: str) -> dict:
    """One text from the pretend patient: the decision, with why; returns the new state."""
    body = body[:MAX_TEXT].replace("\x00", "")
    next_scan = None
    if state["status"] is not None:
        when = now + timedelta(days=PRETEND_SCAN_DAYS)
        next_scan = ("CT", When(when, tz, now))
    ctx = context_from(_history(state, now), state["status"], state["language"], next_scan)
    decision = get_pipeline().decide(body, ctx)
    info = segment_info(decision.body or "")
    turn = {
        "text": body,
        "reply": decision.body,
        "topic": decision.topic,
        "flag": decision.flag,
        "lang": decision.language,
        "why": decision.why.as_dict(),
        "segments": info.segments,
        "encoding": info.encoding,
        "status_change": decision.new_status,
        "cards": cards_column(decision),
    }
    status = decision.new_status or state["status"]
    language = decision.new_language or state["language"]
    turns = [*state["turns"], turn][-KEEP_TURNS:]
    return {"status": status, "language": language, "turns": turns}
