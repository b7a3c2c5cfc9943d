"""Operability: GET /healthz for load balancers, GET /metrics for Prometheus.

Metrics are computed from the database at scrape time rather than kept in process
memory: with several gunicorn workers and a separate clock process, the database is
the one place that knows the whole truth.
"""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from enum import StrEnum

from flask import Blueprint, Response, current_app, jsonify
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CollectorRegistry, GaugeMetricFamily
from sqlalchemy import and_, exists, func, select, text, true
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import aliased

from bot.extensions import db
from bot.models import (
    CLAIMED,
    INBOUND,
    OUTBOUND,
    PLANNED,
    ClockTick,
    Message,
    Reminder,
    utcnow,
)

bp = Blueprint("ops", __name__)


class Health(StrEnum):
    """What /healthz says about this web worker."""

    OK = "ok"
    DEGRADED = "degraded"  # database down or texts waiting in the spool: still answers
    ERROR = "error"  # nothing can store a text


# Room for one more of Twilio's longest texts (1,600 characters, 4 bytes each at worst).
SPOOL_MIN_ROOM = 1600 * 4 + 256


def _clock_age_seconds() -> float | None:
    last = db.session.scalar(select(func.max(ClockTick.last_tick_at)))
    # Never negative: a mark from the future (another machine's clock running ahead, or
    # a rehearsal before they left no mark) reads as "just now".
    return None if last is None else max(0.0, (utcnow() - last).total_seconds())


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    """200 while this web worker can take texts; "degraded" while the database is down
    (texts are answered from memory and spooled) or texts wait in the spool; 503 when
    neither the database nor the spool can store a text.

    The clock's age is reported but does not fail the check: a stalled clock must not
    make a load balancer take the webhook down too.
    """
    body: dict = {"content_topics": len(current_app.extensions["nextsteps.content"].topics)}
    database_ok = _database_status(body)
    spool = current_app.extensions["nextsteps.spool"]
    writable = spool.writable()
    try:
        body["spool_waiting"] = spool.waiting()
    except OSError as exc:
        body["spool_waiting"] = f"error: {type(exc).__name__}"
    room = spool.room()
    body["spool_room_bytes"] = room
    # Not ok while a text (a STOP, maybe) could not be kept, or one more might not fit.
    enough = min(SPOOL_MIN_ROOM, spool.max_bytes // 2)  # (tests run with tiny spools)
    keeps = writable and spool.refused is None and room >= enough
    body["spool"] = (
        "ok" if keeps
        else "not writable" if not writable
        else f"refused a text: {spool.refused}" if spool.refused
        else "nearly full"
    )
    if not database_ok and not keeps:
        return jsonify(status=Health.ERROR, **body), 503
    healthy = database_ok and keeps and body["spool_waiting"] == 0
    return jsonify(status=Health.OK if healthy else Health.DEGRADED, **body), 200


def _database_status(body: dict) -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        body["database"] = "ok"
        age = _clock_age_seconds()
        body["clock_last_tick_age_seconds"] = None if age is None else round(age, 1)
        stale_after = 3 * current_app.config["CLOCK_TICK_SECONDS"]
        body["clock"] = "never ticked" if age is None else "ok" if age <= stale_after else "stale"
    except SQLAlchemyError as exc:
        with contextlib.suppress(SQLAlchemyError):
            db.session.rollback()
        body["database"] = f"error: {type(exc).__name__}"
        return False
    return True


def _superseded():  # noqa: ANN202
    """An earlier attempt at a reminder that was sent again (e.g. after 30003): counted
    among Twilio errors, not as a second text."""
    later = aliased(Message)
    return exists().where(later.reminder_id == Message.reminder_id, later.id > Message.id)


def _by_label(name: str, doc: str, label: str, column, where) -> GaugeMetricFamily:  # noqa: ANN001
    """One gauge per value of `column` (a GROUP BY count over the rows `where` selects)."""
    family = GaugeMetricFamily(name, doc, labels=[label])
    for value, n in db.session.execute(select(column, func.count()).where(where).group_by(column)):
        family.add_metric(["none" if value is None else str(value)], n)
    return family


class DatabaseCollector:
    """Prometheus collector reading counts from the database on each scrape."""

    def collect(self):  # noqa: ANN201
        yield from self._counts()
        yield from self._lag(utcnow())

    @staticmethod
    def _counts():  # noqa: ANN205
        """Texts by topic and delivery status, Twilio errors, reminders by status."""
        yield _by_label(
            "nextsteps_inbound_texts",
            "Inbound texts stored, by topic",
            "topic",
            Message.topic,
            Message.direction == INBOUND,
        )
        yield _by_label(
            "nextsteps_outbound_texts",
            "Outbound texts, by delivery status (a reminder sent again counts once)",
            "status",
            Message.status,
            and_(Message.direction == OUTBOUND, ~_superseded()),
        )
        yield _by_label(
            "nextsteps_twilio_errors",
            "Outbound texts with a Twilio error code",
            "code",
            Message.error_code,
            Message.error_code.is_not(None),
        )
        yield _by_label(
            "nextsteps_reminders", "Reminders by status", "status", Reminder.status, true()
        )

    @staticmethod
    def _lag(now: datetime):  # noqa: ANN205
        """How far behind the clock and the dispatcher are."""
        waiting = (Reminder.status.in_((PLANNED, CLAIMED)), Reminder.due_at <= now)
        due = db.session.scalar(select(func.count()).where(*waiting))
        late = db.session.scalar(
            select(func.count()).where(*waiting, Reminder.due_at <= now - timedelta(minutes=5))
        )
        oldest = db.session.scalar(select(func.min(Reminder.due_at)).where(*waiting))
        yield GaugeMetricFamily("nextsteps_reminders_due", "Reminders due and not sent", value=due)
        yield GaugeMetricFamily(
            "nextsteps_reminders_late", "Reminders due over 5 minutes ago", value=late
        )
        yield GaugeMetricFamily(
            "nextsteps_dispatch_lag_seconds",
            "Age of the oldest due reminder not yet sent",
            value=0.0 if oldest is None else (now - oldest).total_seconds(),
        )
        age = _clock_age_seconds()
        yield GaugeMetricFamily(
            "nextsteps_clock_last_tick_age_seconds",
            "Seconds since the clock last ticked (-1: never)",
            value=-1.0 if age is None else age,
        )
        backup = db.session.get(ClockTick, "backup")  # written by the clock's nightly job
        yield GaugeMetricFamily(
            "nextsteps_last_backup_age_seconds",
            "Seconds since the clock's last successful nightly backup (-1: never)",
            value=-1.0 if backup is None else (now - backup.last_tick_at).total_seconds(),
        )


@bp.get("/metrics")
def metrics() -> Response:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(DatabaseCollector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)
