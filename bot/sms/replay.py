"""Replaying the spool into the database: the webhook (next request after an outage),
the clock (before every dispatch) and `flask spool replay` call this."""

from __future__ import annotations

import contextlib
from datetime import datetime

from flask import current_app
from sqlalchemy.exc import InterfaceError, OperationalError, SQLAlchemyError

from bot.conversation.inbound import Replayed, handle_inbound
from bot.extensions import db
from bot.logs import log_event
from bot.sms.spool import Entry, Spool, replay


def current_spool() -> Spool:
    return current_app.extensions["nextsteps.spool"]


def _store(entry: Entry) -> None:
    """One spooled text through the normal inbound path (a stored MessageSid is skipped)."""
    try:
        replayed = Replayed(datetime.fromisoformat(entry.at), entry.answered, entry.reply)
        handle_inbound(entry.phone, entry.body, entry.sid, replayed)
    except (OperationalError, InterfaceError):
        raise  # the database is unreachable: stop, everything stays for the next replay
    except Exception as exc:  # noqa: BLE001  (one bad entry must not block the others)
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        current_spool().dead_letter(entry)
        log_event("spool.entry_failed", phone=entry.phone, error=type(exc).__name__)


def replay_spool() -> int:
    """Store every waiting text, oldest first; raises if the database is still down."""
    try:
        return replay(current_spool(), _store)
    except SQLAlchemyError:
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        raise


def replay_quietly() -> int:
    """replay_spool() for a web request: a failure is logged, never the request's."""
    try:
        return replay_spool()
    except Exception as exc:  # noqa: BLE001  (the text at hand is answered either way)
        log_event("spool.replay_failed", error=type(exc).__name__)
        return 0
