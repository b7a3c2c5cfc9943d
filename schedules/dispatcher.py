"""Send due reminders: claim, re-check, compose, send at a steady rate, record.

One pass (`dispatch`) runs on every clock tick:
1. Reconcile rows claimed longer ago than REMINDER_LEASE_SECONDS (a crash between the
   API call and the commit, or no answer from Twilio): ask Twilio for recent messages
   to that number; one with the same body means it went out, else send it again.
2. Claim due rows in chunks with one atomic UPDATE ... RETURNING (PostgreSQL adds FOR
   UPDATE SKIP LOCKED, so several dispatchers never claim the same row; SQLite's
   BEGIN IMMEDIATE makes the statement exclusive).
3. Re-check each row (patient still opted in, scan still scheduled, not late, not in
   quiet hours), compose its text again and save it before any API call, so a crash
   leaves a body to look for at Twilio.
4. Send from a thread pool (SEND_CONCURRENCY) paced at SEND_RATE_PER_SECOND; record
   each outcome in the main thread through bot.sms.outbound, committing as results come.

No database transaction is held open during a Twilio call (SQLite's write lock would
stall the webhook).
"""

from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError

from bot.extensions import db, unique_violation
from bot.logs import log_event
from bot.models import (
    ACTIVE,
    CANCELLED,
    CLAIMED,
    FAILED,
    PLANNED,
    SCHEDULED,
    SENT,
    SKIPPED,
    Message,
    Patient,
    Reminder,
    Scan,
    utcnow,
)
from bot.patients.consent import apply_send_failure
from bot.reminders.backoff import retry_delay
from bot.reminders.message import compose_reminder
from bot.reminders.windows import grace, in_quiet_hours, is_missed, missed_note
from bot.sms import transport as tr
from bot.sms.outbound import get_transport, record_outbound, status_callback_url
from schedules.pacer import Pacer

WORKER = f"{socket.gethostname()[:40]}:{os.getpid()}"
# Twilio's clock and ours may differ a little; the body match does the real work.
RECONCILE_MARGIN = timedelta(minutes=10)
TOPIC = "reminder"


@dataclass
class DispatchStats:
    sent: int = 0
    retried: int = 0
    unknown: int = 0
    failed: int = 0
    cancelled: int = 0
    skipped: int = 0
    reconciled: int = 0
    resent: int = 0
    gone: int = 0  # erased while on its way
    unrecorded: int = 0  # a reply we could not store: left claimed for reconcile

    def summary(self) -> str:
        return " ".join(f"{k}={v}" for k, v in vars(self).items() if v)


@dataclass(frozen=True)
class _Job:
    reminder_id: int
    patient_id: int
    phone: str
    body: str


class Clock:
    """Real time, shifted so the pass starts at `now` (`--now`). Time still flows, so
    claimed_at stays honest for the lease; Twilio's clock is never shifted, so a time we
    send to Twilio is shifted back (`real`)."""

    def __init__(self, now: datetime | None = None) -> None:
        self.skew = (now - utcnow()) if now else timedelta(0)

    def __call__(self) -> datetime:
        return utcnow() + self.skew

    def real(self, when: datetime) -> datetime:
        return when - self.skew


def _claim(where: list, values: dict, limit: int) -> list[int]:
    """Atomically take up to `limit` rows matching `where`; commits."""
    pick = (
        select(Reminder.id)
        .where(*where)
        .order_by(Reminder.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    ids = list(
        db.session.scalars(
            update(Reminder)
            .where(Reminder.id.in_(pick.scalar_subquery()))
            .values(**values)
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        )
    )
    db.session.commit()
    return ids


def _load(ids: list[int]) -> list[Reminder]:
    return list(
        db.session.scalars(
            select(Reminder)
            .where(Reminder.id.in_(ids))
            .order_by(Reminder.due_at)
            .execution_options(populate_existing=True)
        )
    )


def _why_not(reminder: Reminder, patient: Patient, scan: Scan | None, now: datetime):
    """(status, note) when the reminder must not go out now, else None."""
    config = current_app.config
    if patient.status != ACTIVE:
        return CANCELLED, f"patient is {patient.status}"
    if scan is None or scan.status != SCHEDULED or scan.scheduled_at <= now:
        return CANCELLED, "scan no longer scheduled"
    if is_missed(reminder.due_at, now, config):
        return SKIPPED, missed_note(config)
    if in_quiet_hours(now, patient.timezone, config):
        return SKIPPED, "missed: would have arrived in quiet hours"
    return None


def _prepare(ids: list[int], now: datetime, stats: DispatchStats) -> list[_Job]:
    """Re-check claimed rows and save the text to send; commits."""
    jobs = []
    for reminder in _load(ids):
        patient = db.session.get(Patient, reminder.patient_id)
        scan = db.session.get(Scan, reminder.scan_id) if reminder.scan_id else None
        verdict = _why_not(reminder, patient, scan, now)
        if verdict:
            reminder.status, reminder.note = verdict
            stats.cancelled += verdict[0] == CANCELLED
            stats.skipped += verdict[0] == SKIPPED
            log_event("reminder.not_sent", phone=patient.phone, id=reminder.id, why=verdict[1])
            continue
        # Composed again: the scan may have moved, or an earlier reminder used the questions.
        # The questions move on now, before the send: if it fails they are simply skipped.
        composed = compose_reminder(patient, scan, patient.question_cursor, now)
        patient.question_cursor += composed.questions_used
        reminder.body = composed.body
        jobs.append(_Job(reminder.id, patient.id, patient.phone, composed.body))
    db.session.commit()
    return jobs


def _record(job: _Job, result: tr.SendResult, now: datetime) -> str:
    """Apply one send's outcome to the reminder (and patient); the DispatchStats field it
    counts in. The caller commits."""
    reminder = db.session.get(Reminder, job.reminder_id)
    patient = db.session.get(Patient, job.patient_id)
    if reminder is None or patient is None:  # erased while the text was on its way
        return "gone"
    reminder.error_code = result.error_code
    if result.outcome == tr.SENT:
        reminder.status, reminder.twilio_sid, reminder.sent_at = SENT, result.sid, now
        reminder.note = reminder.next_attempt_at = None
        record_outbound(job.phone, job.body, result, patient, reminder.id, TOPIC)
        counted = "sent"
    elif result.unknown:
        # Twilio may have it: stay claimed; reconcile asks Twilio once the lease runs out.
        reminder.note = f"no answer from Twilio ({result.error}): will check before resending"
        counted = "unknown"
    else:
        counted = _retry_or_fail(job, result, reminder, patient, now)
    log_event(
        "reminder.send",
        phone=job.phone,
        id=reminder.id,
        outcome=result.outcome,
        code=result.error_code or "-",
        status=reminder.status,
    )
    return counted


def _retry_or_fail(
    job: _Job, result: tr.SendResult, reminder: Reminder, patient: Patient, now: datetime
) -> str:
    """A send Twilio refused: back to planned with backoff, or failed for good."""
    config = current_app.config
    if result.outcome == tr.RETRY and reminder.attempts < config["SEND_MAX_ATTEMPTS"]:
        reminder.status = PLANNED
        reminder.next_attempt_at = now + retry_delay(
            reminder.attempts, config["SEND_RETRY_BASE_SECONDS"]
        )
        reminder.note = (
            f"attempt {reminder.attempts} failed ({result.error_code or result.error}): will retry"
        )
        return "retried"
    # Permanent, or out of attempts: 21610 stops the patient, a bad number is flagged.
    record_outbound(job.phone, job.body, result, patient, reminder.id, TOPIC)
    apply_send_failure(patient, result)
    reminder.status = FAILED
    note = f"{result.outcome} after {reminder.attempts} attempt(s): {result.error}"
    reminder.note = note[:200]
    return "failed"


def _record_duplicate_sid(job: _Job, result: tr.SendResult, now: datetime) -> str:
    """Twilio accepted the text but gave a sid another message already has: the text went
    out, so the reminder is sent; its messages row keeps no sid (the sid is unique)."""
    log_event("reminder.duplicate_sid", phone=job.phone, id=job.reminder_id, sid=result.sid)
    counted = _record(job, replace(result, sid=None), now)
    reminder = db.session.get(Reminder, job.reminder_id)
    if reminder is not None:
        reminder.twilio_sid = result.sid
        reminder.note = "Twilio gave a sid already recorded for another message"
    return counted


def _record_alone(job: _Job, result: tr.SendResult, clock: Clock, stats: DispatchStats) -> None:
    """Record one send in its own transaction. A duplicate sid is recorded without it; any
    other failure is logged and leaves the row claimed for reconcile. Never raises, so one
    odd reply never stops the rest of the tick."""
    try:
        try:
            counted = _record(job, result, clock())
            db.session.commit()
        except IntegrityError as exc:
            db.session.rollback()
            if not unique_violation(exc, "messages", "twilio_sid"):
                raise  # another conflict: logged below, the row left for reconcile
            counted = _record_duplicate_sid(job, result, clock())
            db.session.commit()
    except Exception as exc:  # a reply we cannot store: reconcile asks Twilio later
        db.session.rollback()
        log_event(
            "reminder.record_failed", phone=job.phone, id=job.reminder_id, error=type(exc).__name__
        )
        counted = "unrecorded"
    setattr(stats, counted, getattr(stats, counted) + 1)


def _send(transport, pacer: Pacer, job: _Job, callback: str | None) -> tr.SendResult:  # noqa: ANN001
    try:
        pacer.wait()
    except Exception as exc:  # not sent: back to planned like any failed attempt
        log_event("reminder.pacer_failed", phone=job.phone, error=type(exc).__name__)
        return tr.SendResult(tr.RETRY, error=f"not sent: {type(exc).__name__}")
    try:
        return transport.send(job.phone, job.body, callback)
    except Exception as exc:  # a bug or library surprise: treat as "Twilio may have it"
        log_event("reminder.send_crashed", phone=job.phone, error=type(exc).__name__)
        return tr.SendResult(tr.RETRY, error=type(exc).__name__, unknown=True)


@dataclass(frozen=True)
class _Orphan:
    job: _Job
    due_at: datetime
    attempts: int


def _claim_orphans(clock: Clock) -> list[_Orphan]:
    """Take the rows claimed longer ago than the lease; commits, so no transaction is
    open while Twilio answers."""
    now = clock()
    lease = timedelta(seconds=current_app.config["REMINDER_LEASE_SECONDS"])
    ids = _claim(
        [Reminder.status == CLAIMED, Reminder.claimed_at < now - lease],
        {"claimed_at": now, "claimed_by": WORKER},
        limit=500,
    )
    if not ids:
        return []
    rows = _load(ids)
    phones = dict(
        db.session.execute(
            select(Patient.id, Patient.phone).where(Patient.id.in_({r.patient_id for r in rows}))
        ).all()
    )
    orphans = [
        _Orphan(_Job(r.id, r.patient_id, phones[r.patient_id], r.body), r.due_at, r.attempts)
        for r in rows
    ]
    db.session.commit()
    return orphans


def _found_at_twilio(transport, orphan: _Orphan, since: datetime) -> dict | None:  # noqa: ANN001
    """Twilio's message with this body to this number that no row of ours records yet."""
    listed = transport.list_recent(orphan.job.phone, since)
    candidates = [m for m in listed if m.get("body") == orphan.job.body and m.get("sid")]
    known = set(
        db.session.scalars(
            select(Message.twilio_sid).where(Message.twilio_sid.in_([m["sid"] for m in candidates]))
        )
    )
    return next((m for m in candidates if m["sid"] not in known), None)


def _settle(orphan: _Orphan, match: dict | None, clock: Clock, stats: DispatchStats) -> None:
    """Sent (Twilio has it), failed (out of attempts) or back to planned; commits."""
    log_event(
        "reminder.reconciled",
        phone=orphan.job.phone,
        id=orphan.job.reminder_id,
        found=match is not None,
    )
    if match is not None:
        result = tr.SendResult(tr.SENT, sid=match["sid"], status=match.get("status"))
        _record_alone(orphan.job, result, clock, stats)
        stats.reconciled += 1
        return
    reminder = db.session.get(Reminder, orphan.job.reminder_id)
    if reminder is None:  # erased meanwhile
        stats.gone += 1
    elif orphan.attempts >= current_app.config["SEND_MAX_ATTEMPTS"]:
        reminder.status = FAILED
        reminder.note = f"no answer from Twilio after {orphan.attempts} attempts"
        stats.failed += 1
    else:
        reminder.status, reminder.note = PLANNED, "not found at Twilio after a crash: resending"
        reminder.next_attempt_at = None
        stats.resent += 1
    db.session.commit()


def reconcile(clock: Clock, stats: DispatchStats) -> None:
    """Settle rows claimed longer ago than the lease: sent (Twilio has the text) or resend."""
    transport = get_transport()
    for orphan in _claim_orphans(clock):
        since = clock.real(orphan.due_at) - RECONCILE_MARGIN
        try:
            match = _found_at_twilio(transport, orphan, since)
        except Exception as exc:  # Twilio unreachable: the lease runs again, then we retry
            log_event(
                "reminder.reconcile_error",
                phone=orphan.job.phone,
                id=orphan.job.reminder_id,
                error=type(exc).__name__,
            )
            continue
        _settle(orphan, match, clock, stats)


def _claim_due(clock: Clock, limit: int) -> tuple[list[int], datetime]:
    """Take up to `limit` rows due now (retries once their backoff is over); commits."""
    t = clock()
    ids = _claim(
        [
            Reminder.status == PLANNED,
            Reminder.due_at <= t,
            Reminder.due_at >= t - grace(current_app.config),
            or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= t),
        ],
        {
            "status": CLAIMED,
            "claimed_at": t,
            "claimed_by": WORKER,
            "attempts": Reminder.attempts + 1,
        },
        limit=limit,
    )
    return ids, t


def _send_due(
    clock: Clock, stats: DispatchStats, leading: Callable[[], bool], beat: Callable[[], None]
) -> None:
    """Claim, check and send due rows from a paced thread pool; record each outcome here in
    the main thread, committing as results come. Claims no more once `leading()` is false
    (a clock that lost its leadership finishes what it holds, then stops). `beat()` is
    called all along, so the clock's heartbeat stays fresh during a long batch."""
    config = current_app.config
    rate, concurrency = config["SEND_RATE_PER_SECOND"], config["SEND_CONCURRENCY"]
    # About two seconds of sending per claim: small enough that a claimed row is sent
    # long before its lease runs out, large enough to keep every thread busy.
    chunk = max(concurrency, math.ceil(rate * 2))
    transport, callback, pacer = get_transport(), status_callback_url(), Pacer(rate)
    pending: dict[Future, _Job] = {}
    more = True
    with ThreadPoolExecutor(concurrency, thread_name_prefix="reminder-send") as pool:
        while more or pending:
            beat()
            if more and len(pending) < chunk:
                if not leading():
                    log_event("reminders.no_longer_leading", worker=WORKER)
                    more = False
                    continue
                ids, t = _claim_due(clock, chunk)
                more = bool(ids)
                for job in _prepare(ids, t, stats):
                    pending[pool.submit(_send, transport, pacer, job, callback)] = job
                continue
            done, _ = wait(pending, timeout=1, return_when=FIRST_COMPLETED)
            for future in done:
                _record_alone(pending.pop(future), future.result(), clock, stats)


def _always() -> bool:
    return True


def _ignore(_: datetime) -> None:
    pass


def _every(seconds: float, action: Callable[[datetime], None], clock: Clock) -> Callable[[], None]:
    """A callable that runs action(clock()) at most once per `seconds` (monotonic)."""
    last = [time.monotonic()]

    def maybe() -> None:
        if time.monotonic() - last[0] >= seconds:
            last[0] = time.monotonic()
            action(clock())

    return maybe


def dispatch(
    now: datetime | None = None,
    leading: Callable[[], bool] = _always,
    heartbeat: Callable[[datetime], None] | None = None,
) -> DispatchStats:
    """One pass: reconcile orphaned claims, then send everything due, claiming while
    `leading()` (the clock's election; see schedules.leader), calling `heartbeat(now)`
    every CLOCK_HEARTBEAT_SECONDS. Needs an app context."""
    clock = Clock(now)
    stats = DispatchStats()
    beat = _every(current_app.config["CLOCK_HEARTBEAT_SECONDS"], heartbeat or _ignore, clock)
    reconcile(clock, stats)
    _send_due(clock, stats, leading, beat)
    if stats.summary():
        log_event("reminders.dispatched", **vars(stats))
    return stats
