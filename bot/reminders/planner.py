"""Scans -> reminder rows (the outbox), and the planner's share of each clock tick.

`replan(patient)` is the one place a patient's reminders are decided. It runs whenever a
scan is added, moved or cancelled (bot.reminders.scans), when a patient opts in (YES/START), and
from the staff console. Each (scan, offset) has one row, rewritten in place as the plan
changes; rows already sent, in flight or failed are history and never rewritten.

Rules, each applied here and defined once elsewhere: only opted-in patients get
reminders; the moment is REMINDER_LOCAL_TIME in the patient's zone, shifted out of quiet
hours (bot.reminders.windows); caps (bot.reminders.caps) decide which reminder gives way; a
moment already past the grace period is recorded `skipped`, never sent late.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import or_, select, update

from bot.extensions import db
from bot.logs import log_event
from bot.models import (
    ACTIVE,
    CANCELLED,
    CLAIMED,
    PLANNED,
    SENT,
    SKIPPED,
    Patient,
    Reminder,
    Scan,
    utcnow,
)
from bot.queries import upcoming_scans
from bot.reminders.caps import WEEK, apply_caps
from bot.reminders.message import compose_reminder
from bot.reminders.windows import grace, hhmm, is_missed, missed_note, next_allowed
from bot.timeutil import to_local, to_utc

# Rows the plan owns and may rewrite; the others record what happened.
_REWRITABLE = (PLANNED, SKIPPED, CANCELLED)
AFTER_SCAN = "would fall after the scan"
TOO_LATE = "its time had passed when it was planned"


@dataclass
class _Slot:
    scan: Scan
    offset_days: int
    due_at: datetime
    note: str | None = None  # why it is skipped; None: planned


def slot_time(scan_at: datetime, offset_days: int, tz: str) -> datetime:
    """REMINDER_LOCAL_TIME on the local day `offset_days` before the scan, out of quiet
    hours. Computed on the local calendar, so it stays 10:00 across a DST change."""
    config = current_app.config
    day = to_local(scan_at, tz).date() - timedelta(days=offset_days)
    due = to_utc(datetime.combine(day, hhmm(config["REMINDER_LOCAL_TIME"])), tz)
    return next_allowed(due, tz, config)


def cancel_planned_reminders(patient: Patient, note: str) -> None:
    """Nothing more goes out: every reminder not yet sent is cancelled (opt-out, pause)."""
    db.session.execute(
        update(Reminder)
        .where(Reminder.patient_id == patient.id, Reminder.status.in_((PLANNED, CLAIMED)))
        .values(status=CANCELLED, note=note[:200])
    )


def _lock(patient: Patient) -> None:
    # PostgreSQL: one replan per patient at a time (the console and the clock may race).
    # SQLite needs nothing: every transaction already holds the write lock.
    db.session.execute(select(Patient.id).where(Patient.id == patient.id).with_for_update())


def replan(patient: Patient, now: datetime | None = None) -> None:
    """Recompute the patient's planned reminders from their scans. Caller commits."""
    now = now or utcnow()
    config = current_app.config
    db.session.flush()
    _lock(patient)

    if patient.status != ACTIVE:
        cancel_planned_reminders(patient, f"patient is {patient.status}")
        return

    scans = upcoming_scans(patient, now)
    # This patient's rows that can change or count toward a cap: bounded, never all history.
    rows = db.session.scalars(
        select(Reminder).where(
            Reminder.patient_id == patient.id,
            or_(
                Reminder.scan_id.in_([s.id for s in scans]),
                Reminder.due_at >= now - WEEK - timedelta(days=1),
            ),
        )
    ).all()
    by_slot = {(r.scan_id, r.offset_days): r for r in rows if r.scan_id is not None}

    slots: dict[tuple[int, int], _Slot] = {}
    for scan in scans:
        for offset in config["REMINDER_OFFSETS_DAYS"]:
            slot = _Slot(scan, offset, slot_time(scan.scheduled_at, offset, patient.timezone))
            if slot.due_at >= scan.scheduled_at:
                slot.note = AFTER_SCAN
            elif is_missed(slot.due_at, now, config):
                slot.note = TOO_LATE
            row = by_slot.get((scan.id, offset))
            if row is not None and row.status not in _REWRITABLE:
                if row.status != SENT or row.due_at == slot.due_at or slot.note:
                    continue  # done or in flight for this moment
                # Sent for the scan's earlier date: keep it as history, plan the new one.
                row.scan_id = None
                row.note = f"sent before scan {scan.id} moved"
                del by_slot[(scan.id, offset)]
            slots[(scan.id, offset)] = slot

    # Nearest-to-its-scan first, then the earlier scan: see bot.reminders.caps.
    candidates = sorted(
        (s for s in slots.values() if s.note is None),
        key=lambda s: (s.offset_days, s.scan.scheduled_at),
    )
    fixed = [r.due_at for r in rows if r.status in (SENT, CLAIMED)]
    verdict = apply_caps(
        (((s.scan.id, s.offset_days), s.due_at) for s in candidates),
        fixed,
        patient.timezone,
        config,
    )
    for key, reason in verdict.items():
        slots[key].note = reason

    cursor = patient.question_cursor
    for key, slot in sorted(slots.items(), key=lambda kv: kv[1].due_at):
        row = by_slot.get(key)
        if slot.note == TOO_LATE and row and row.status == SKIPPED and row.due_at == slot.due_at:
            continue  # already recorded as missed: keep its note
        if row is None:
            row = Reminder(
                patient_id=patient.id, scan_id=slot.scan.id, offset_days=slot.offset_days
            )
            db.session.add(row)
        elif row.status != PLANNED or row.due_at != slot.due_at:
            # A new moment starts a fresh series of attempts.
            row.attempts, row.next_attempt_at, row.error_code = 0, None, None
        row.due_at = slot.due_at
        row.note = slot.note
        if slot.note is None:
            composed = compose_reminder(patient, slot.scan, cursor)
            cursor += composed.questions_used
            row.status, row.body = PLANNED, composed.body
        else:
            row.status, row.body = SKIPPED, ""

    for key, row in by_slot.items():
        if key in slots or row.status not in (PLANNED, SKIPPED):
            continue
        if row.status == PLANNED or row.due_at > now:
            row.status, row.note = CANCELLED, "scan no longer scheduled at this time"
    db.session.flush()
    log_event(
        "reminders.replanned",
        phone=patient.phone,
        planned=sum(1 for s in slots.values() if s.note is None),
        skipped=sum(1 for s in slots.values() if s.note),
    )


def skip_missed(now: datetime) -> int:
    """Planned rows whose moment passed more than the grace period ago (the clock was down
    or far behind): recorded as skipped, not sent late. Uses ix_reminders_status_due."""
    config = current_app.config
    result = db.session.execute(
        update(Reminder)
        .where(Reminder.status == PLANNED, Reminder.due_at < now - grace(config))
        .values(status=SKIPPED, note=missed_note(config))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def upcoming(patient: Patient, now: datetime | None = None) -> list[Reminder]:
    """The patient's reminders from the grace period ago on, for preview (any status)."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            select(Reminder)
            .where(
                Reminder.patient_id == patient.id,
                Reminder.due_at >= now - grace(current_app.config),
            )
            .order_by(Reminder.due_at, Reminder.id)
        )
    )
