"""The clock process (Procfile `clock:`): one tick plans and dispatches reminders.

Only `python -m schedules` starts the scheduler; web workers never do. Several clock
processes may run on PostgreSQL: at every tick each asks `schedules.leader` whether it
leads, and only the leader ticks (a standby takes over at its next tick once the leader
is gone). On SQLite a second clock refuses to start. Every step is safe to repeat and to
kill at any point (see schedules.dispatcher), so a missed or doubled tick does no harm.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from datetime import UTC, datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask
from sqlalchemy.exc import IntegrityError

from bot.checkins.schedule import start_due
from bot.extensions import db, unique_violation
from bot.logs import log_event
from bot.models import ClockTick, utcnow
from bot.reminders.planner import skip_missed
from bot.reminders.rhythm import advance_rhythms
from bot.sms.replay import replay_spool
from schedules.dispatcher import WORKER, DispatchStats, dispatch
from schedules.leader import Leadership, leadership_for
from schedules.nightly import run_nightly
from schedules.staff_texts import resend_due

TICK_JOB_ID = "reminders.tick"
HEARTBEAT = "dispatch"  # the clock_ticks row /healthz reads


def _heartbeat(at: datetime, detail: str) -> None:
    row = db.session.get(ClockTick, HEARTBEAT)
    if row is None:
        db.session.add(ClockTick(name=HEARTBEAT, last_tick_at=at, detail=detail[:200]))
    else:
        row.last_tick_at, row.detail = at, detail[:200]
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        if not unique_violation(exc, "clock_ticks", "name", primary_key=True):
            raise  # not another clock's first row written at the same moment


def _always() -> bool:
    return True


def tick(
    now: datetime | None = None,
    leading: Callable[[], bool] | None = None,
    rehearsal: bool = False,
) -> DispatchStats:
    """Plan and dispatch once, as if at `now` (naive UTC; default: the real time). With
    `leading`, dispatch stops claiming when it turns false.

    A `rehearsal` (`--once --now T`) sends what is due at T, judged at T (quiet hours,
    caps), but leaves nothing the real clock reads: no heartbeat, no missed reminders or
    check-ins closed, no rhythm scans booked, no nightly jobs."""
    at = now or utcnow()
    # Texts kept in the spool while the database was down go in first: a STOP among
    # them cancels that number's reminders before anything is dispatched.
    replay_spool()
    beat = _ignore_beat if rehearsal else _heartbeat
    beat(at, "running")
    booked = missed = 0
    if not rehearsal:
        booked, missed = advance_rhythms(at), skip_missed(at)
    db.session.commit()
    stats = dispatch(now, leading or _always, lambda t: beat(t, "running: sending"))
    # Check-ins after reminders: a reminder due now counts toward the caps first.
    checkins = start_due(at, close_missed=not rehearsal)
    staff = resend_due(at)  # staff texts Twilio refused for now, or never answered
    nightly = "" if rehearsal else run_nightly(now or utcnow())
    detail = (
        f"rhythm_booked={booked} missed={missed} staff_retried={staff} {stats.summary()} "
        f"{checkins.summary()}"
    ).strip()
    if nightly:
        detail += f" {nightly}"
    beat(now or utcnow(), detail)
    log_event("clock.rehearsal" if rehearsal else "clock.tick", detail=detail.replace(" ", ","))
    return stats


def _ignore_beat(at: datetime, detail: str) -> None:
    """A rehearsal's heartbeat: /healthz and the nightly jobs read the real clock only."""


def tick_if_leader(leadership: Leadership) -> DispatchStats | None:
    """Tick when this clock leads (taking over if the leader is gone); else stand by."""
    if not leadership.lead():
        log_event("clock.standby", worker=WORKER)
        return None
    return tick(leading=leadership.lead)


def build_scheduler(app: Flask, leadership: Leadership | None = None) -> BlockingScheduler:
    """The clock's scheduler with its one job, not started. With `leadership`, the job
    ticks only while this process leads."""
    seconds = app.config["CLOCK_TICK_SECONDS"]
    scheduler = BlockingScheduler(timezone=UTC)

    def job() -> None:
        with app.app_context():
            try:
                tick() if leadership is None else tick_if_leader(leadership)
            finally:
                db.session.remove()

    scheduler.add_job(
        job,
        "interval",
        seconds=seconds,
        id=TICK_JOB_ID,  # stable: a restart replaces the job rather than adding another
        name="plan and dispatch reminders",
        replace_existing=True,
        next_run_time=datetime.now(UTC),
        # A long batch or a paused process: run once late rather than skip or pile up.
        misfire_grace_time=max(300, 5 * seconds),
        coalesce=True,
        max_instances=1,
    )
    return scheduler


def run_clock(app: Flask) -> None:
    """Tick every CLOCK_TICK_SECONDS while leading, until SIGTERM/SIGINT. Raises
    schedules.leader.ClockAlreadyRunning when another clock has this SQLite database."""
    with app.app_context():
        leadership = leadership_for(db.engine.url, WORKER)
    scheduler = build_scheduler(app, leadership)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    log_event("clock.start", worker=WORKER, every_seconds=app.config["CLOCK_TICK_SECONDS"])
    try:
        scheduler.start()
    finally:
        leadership.release()
