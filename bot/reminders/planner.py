"""Scans -> reminder rows (the outbox), and the planner's share of each clock tick.

`plan_reminders()` decides, as a pure function of the patient, their upcoming scans, the
rows already there, the settings and `now`; `apply_plan()` writes what it decided;
`replan(patient)` loads, plans and applies. It runs whenever a scan is added, moved or
cancelled (bot.reminders.scans), when a patient opts in (YES/START) or is resumed. Each
(scan, offset) has one row, rewritten in place as the plan changes; rows already sent, in
flight or failed are history and never rewritten.

Rules, each applied here and defined once elsewhere: only opted-in patients get
reminders; the moment is REMINDER_LOCAL_TIME in the patient's zone, shifted out of quiet
hours (bot.reminders.windows); caps (bot.reminders.caps) decide which reminder gives way; a
moment already past the grace period is recorded `skipped`, never sent late.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
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
from bot.queries import checkin_prompts_since, upcoming_scans
from bot.reminders.caps import WEEK, apply_caps
from bot.reminders.message import compose_reminder
from bot.reminders.windows import grace, hhmm, is_missed, missed_note, next_allowed
from bot.timeutil import to_local, to_utc

# Rows the plan owns and may rewrite; the others record what happened.
_REWRITABLE = (PLANNED, SKIPPED, CANCELLED)
AFTER_SCAN = "would fall after the scan"
TOO_LATE = "its time had passed when it was planned"


@dataclass(frozen=True)
class PlannedRow:
    """What the row for one (scan, offset) should be: planned, or skipped and why."""

    scan: Scan
    offset_days: int
    due_at: datetime
    note: str | None = None  # why it is skipped; None: planned

    @property
    def key(self) -> tuple[int, int]:
        return (self.scan.id, self.offset_days)


@dataclass(frozen=True)
class Plan:
    rows: list[PlannedRow]  # by due time
    detached: list[tuple[Reminder, int]]  # (row, scan id): sent before the scan moved
    stale: list[Reminder]  # rows whose moment is no longer in the plan


def slot_time(scan_at: datetime, offset_days: int, tz: str, settings: Mapping) -> datetime:
    """REMINDER_LOCAL_TIME on the local day `offset_days` before the scan, out of quiet
    hours. Computed on the local calendar, so it stays 10:00 across a DST change."""
    day = to_local(scan_at, tz).date() - timedelta(days=offset_days)
    due = to_utc(datetime.combine(day, hhmm(settings["REMINDER_LOCAL_TIME"])), tz)
    return next_allowed(due, tz, settings)


def plan_reminders(
    patient: Patient,
    scans: list[Scan],
    existing: list[Reminder],
    settings: Mapping,
    now: datetime,
    other_sent: Sequence[datetime] = (),
) -> Plan:
    """The plan for an opted-in patient's upcoming `scans`, given the reminder rows that
    already exist. Pure: reads its arguments, changes nothing (apply_plan writes it).
    `other_sent`: when other texts that count toward the caps went out (check-in prompts)."""
    by_slot = {(r.scan_id, r.offset_days): r for r in existing if r.scan_id is not None}
    slots, detached = _slots(patient, scans, by_slot, settings, now)
    fixed = [r.due_at for r in existing if r.status in (SENT, CLAIMED)] + list(other_sent)
    slots = _capped(slots, fixed, patient.timezone, settings)
    gone = {(row.scan_id, row.offset_days) for row, _ in detached}
    stale = [
        row
        for key, row in by_slot.items()
        if key not in slots
        and key not in gone
        and (row.status == PLANNED or (row.status == SKIPPED and row.due_at > now))
    ]
    return Plan(sorted(slots.values(), key=lambda s: s.due_at), detached, stale)


def _slots(
    patient: Patient, scans: list[Scan], by_slot: dict, settings: Mapping, now: datetime
) -> tuple[dict[tuple[int, int], PlannedRow], list[tuple[Reminder, int]]]:
    """A PlannedRow per (scan, offset) the plan may still write, and the sent rows whose
    scan has moved since (kept as history; the new moment gets a row of its own)."""
    slots, detached = {}, []
    for scan in scans:
        for offset in settings["REMINDER_OFFSETS_DAYS"]:
            due = slot_time(scan.scheduled_at, offset, patient.timezone, settings)
            note = None
            if due >= scan.scheduled_at:
                note = AFTER_SCAN
            elif is_missed(due, now, settings):
                note = TOO_LATE
            row = by_slot.get((scan.id, offset))
            if row is not None and row.status not in _REWRITABLE:
                if row.status != SENT or row.due_at == due or note:
                    continue  # done or in flight for this moment
                detached.append((row, scan.id))
            slots[(scan.id, offset)] = PlannedRow(scan, offset, due, note)
    return slots, detached


def _capped(
    slots: dict[tuple[int, int], PlannedRow], fixed: list[datetime], tz: str, settings: Mapping
) -> dict[tuple[int, int], PlannedRow]:
    """The caps decide which reminder gives way: nearest to its scan first, then the
    earlier scan (see bot.reminders.caps)."""
    candidates = sorted(
        (s for s in slots.values() if s.note is None),
        key=lambda s: (s.offset_days, s.scan.scheduled_at),
    )
    verdict = apply_caps(((s.key, s.due_at) for s in candidates), fixed, tz, settings)
    return {k: replace(s, note=verdict[k]) if k in verdict else s for k, s in slots.items()}


def apply_plan(patient: Patient, plan: Plan, existing: list[Reminder]) -> None:
    """Write the plan: one row per (scan, offset), rewritten in place; texts composed now
    so a preview shows them exactly. The caller commits."""
    for row, scan_id in plan.detached:
        row.scan_id, row.note = None, f"sent before scan {scan_id} moved"
    gone = {id(row) for row, _ in plan.detached}
    by_slot = {
        (r.scan_id, r.offset_days): r
        for r in existing
        if r.scan_id is not None and id(r) not in gone
    }
    cursor = patient.question_cursor
    for slot in plan.rows:
        row = by_slot.get(slot.key)
        if slot.note == TOO_LATE and row and row.status == SKIPPED and row.due_at == slot.due_at:
            continue  # already recorded as missed: keep its note
        if row is None:
            row = Reminder(patient_id=patient.id, scan_id=slot.scan.id)
            row.offset_days = slot.offset_days
            db.session.add(row)
        elif row.status != PLANNED or row.due_at != slot.due_at:
            # A new moment starts a fresh series of attempts.
            row.attempts, row.next_attempt_at, row.error_code = 0, None, None
        row.due_at, row.note = slot.due_at, slot.note
        if slot.note is None:
            composed = compose_reminder(patient, slot.scan, cursor, slot.due_at)
            cursor += composed.questions_used
            row.status, row.body = PLANNED, composed.body
        else:
            row.status, row.body = SKIPPED, ""
    for row in plan.stale:
        row.status, row.note = CANCELLED, "scan no longer scheduled at this time"


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


def _rows_that_matter(patient: Patient, scans: list[Scan], now: datetime) -> list[Reminder]:
    """This patient's rows that can change or count toward a cap: never all history."""
    return list(
        db.session.scalars(
            select(Reminder).where(
                Reminder.patient_id == patient.id,
                or_(
                    Reminder.scan_id.in_([s.id for s in scans]),
                    Reminder.due_at >= now - WEEK - timedelta(days=1),
                ),
            )
        )
    )


def replan(patient: Patient, now: datetime | None = None) -> None:
    """Recompute the patient's planned reminders from their scans. Caller commits."""
    now = now or utcnow()
    db.session.flush()
    _lock(patient)
    if patient.status != ACTIVE:
        cancel_planned_reminders(patient, f"patient is {patient.status}")
        return
    scans = upcoming_scans(patient, now)
    existing = _rows_that_matter(patient, scans, now)
    prompts = checkin_prompts_since(patient.id, now - WEEK)
    plan = plan_reminders(patient, scans, existing, current_app.config, now, prompts)
    apply_plan(patient, plan, existing)
    db.session.flush()
    log_event(
        "reminders.replanned",
        phone=patient.phone,
        planned=sum(1 for s in plan.rows if s.note is None),
        skipped=sum(1 for s in plan.rows if s.note),
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
