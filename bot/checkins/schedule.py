"""The weekly check-in time: set by staff, taken by the clock, within the caps and quiet hours.

`set_schedule` (console and CLI) stores a local weekday and time; `next_due` turns it into
UTC. `start_due` is what the clock runs each tick: close check-ins nobody answered, then
text the first question to each patient whose time has come, if the reminder caps
(bot.reminders.caps) and quiet hours (bot.reminders.windows) allow and they are active.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from flask import current_app
from sqlalchemy import select, update

from bot.checkins import store
from bot.checkins.conversation import first_question
from bot.extensions import db
from bot.logs import log_event
from bot.models import ACTIVE, CLAIMED, PLANNED, SENT, CheckinSchedule, Patient, Reminder
from bot.patients.consent import apply_send_failure
from bot.queries import checkin_prompts_since
from bot.reminders.caps import WEEK, apply_caps
from bot.reminders.windows import grace, hhmm, in_quiet_hours
from bot.sms import transport as tr
from bot.sms.outbound import get_transport, record_outbound, status_callback_url
from bot.timeutil import to_local, to_utc

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TOPIC = "checkin"


class CheckinError(ValueError):
    """A schedule staff can't set (bad day or time, quiet hours)."""


def next_due(weekday: int, local_time: str, tz: str, after: datetime) -> datetime:
    """The first `weekday` at `local_time` in `tz` strictly after `after` (naive UTC)."""
    local = to_local(after, tz).replace(tzinfo=None)
    day = local.date() + timedelta(days=(weekday - local.weekday()) % 7)
    for week in range(3):  # this week's slot may be past (or skipped by DST)
        due = to_utc(datetime.combine(day + timedelta(weeks=week), hhmm(local_time)), tz)
        if due > after:
            return due
    raise AssertionError("unreachable")


def parse_time(value: str) -> str:
    """'10:00', '9:30' -> 'HH:MM'; raises CheckinError."""
    try:
        parsed = time.fromisoformat(value.strip().zfill(5))
    except ValueError:
        raise CheckinError(f"time must be HH:MM, got {value!r}") from None
    return f"{parsed:%H:%M}"


def set_schedule(
    patient: Patient, on: bool, weekday: int | None, local_time: str | None, now: datetime
) -> CheckinSchedule:
    """Switch the weekly check-in on (day, local time) or off. The caller commits."""
    row = db.session.get(CheckinSchedule, patient.id)
    if not on:
        if row is not None:
            row.enabled, row.next_due_at = False, None
        return row
    if weekday is None or not 0 <= weekday <= 6 or not local_time:
        raise CheckinError("choose a day and a time for the check-in")
    local_time = parse_time(local_time)
    probe = next_due(weekday, local_time, patient.timezone, now)
    if in_quiet_hours(probe, patient.timezone, current_app.config):
        raise CheckinError(f"{local_time} is in quiet hours: choose a time texts may go out")
    if row is None:
        row = CheckinSchedule(patient_id=patient.id, weekday=weekday, local_time=local_time)
        db.session.add(row)
    row.enabled, row.weekday, row.local_time, row.note = True, weekday, local_time, None
    row.next_due_at = probe
    return row


@dataclass
class CheckinStats:
    started: int = 0
    skipped: int = 0
    deferred: int = 0
    missed: int = 0

    def summary(self) -> str:
        return " ".join(f"checkins_{k}={v}" for k, v in vars(self).items() if v)


def start_due(now: datetime, close_missed: bool = True) -> CheckinStats:
    """One clock pass: close unanswered check-ins (unless a rehearsal, which must not
    close what the real clock still waits on), then start the due ones. Commits."""
    stats = CheckinStats()
    if close_missed:
        stats.missed = store.close_missed(now, current_app.config["CHECKIN_ANSWER_HOURS"])
        db.session.commit()
    due = db.session.execute(
        select(CheckinSchedule.patient_id, CheckinSchedule.next_due_at).where(
            CheckinSchedule.enabled.is_(True), CheckinSchedule.next_due_at <= now
        )
    ).all()
    db.session.commit()
    for patient_id, due_at in due:
        _start_one(patient_id, due_at, now, stats)
    return stats


def _claim(patient_id: int, due_at: datetime, new_next: datetime) -> bool:
    """Move this slot on before sending, atomically: two clocks never both send it."""
    result = db.session.execute(
        update(CheckinSchedule)
        .where(CheckinSchedule.patient_id == patient_id, CheckinSchedule.next_due_at == due_at)
        .values(next_due_at=new_next)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _counted(patient: Patient, now: datetime) -> list[datetime]:
    """Texts that count toward the caps around `now`: reminders sent, in flight or planned,
    and earlier check-in prompts."""
    rows = db.session.execute(
        select(Reminder.status, Reminder.due_at, Reminder.sent_at).where(
            Reminder.patient_id == patient.id,
            Reminder.status.in_([SENT, CLAIMED, PLANNED]),
            Reminder.due_at > now - WEEK,
            Reminder.due_at < now + WEEK,
        )
    ).all()
    times = [sent_at or due_at for _, due_at, sent_at in rows]
    return times + checkin_prompts_since(patient.id, now - WEEK)


def _why_not(
    patient: Patient | None, due_at: datetime, now: datetime, config: Mapping
) -> tuple[str, bool] | None:
    """(why no check-in starts now, whether to try again tomorrow), or None: start it."""
    if patient is None or patient.status != ACTIVE:
        return f"not sent: patient is {patient.status if patient else 'gone'}", False
    if now - due_at > grace(config):
        return "missed: the clock was not running at the time", False
    if in_quiet_hours(now, patient.timezone, config):
        return "not sent: quiet hours", False
    if store.open_checkin(patient.id) is not None:
        return "not sent: the last check-in is still open", False
    verdict = apply_caps([("checkin", now)], _counted(patient, now), patient.timezone, config)
    if verdict["checkin"]:
        return verdict["checkin"], True
    return None


def _start_one(patient_id: int, due_at: datetime, now: datetime, stats: CheckinStats) -> None:
    config = current_app.config
    row = db.session.get(CheckinSchedule, patient_id)
    patient = db.session.get(Patient, patient_id)
    tz = patient.timezone if patient else "UTC"
    regular = next_due(row.weekday, row.local_time, tz, due_at)
    why = _why_not(patient, due_at, now, config)
    retry = due_at + timedelta(days=1) if why and why[1] else None
    retry = retry if retry and retry < regular else None
    if not _claim(patient_id, due_at, retry or regular):
        db.session.rollback()  # another clock took this slot
        return
    if why:
        row.note = f"{to_local(due_at, tz):%Y-%m-%d}: {why[0]}" + ("; tomorrow" if retry else "")
        stats.deferred += bool(retry)
        stats.skipped += not retry
        db.session.commit()
        log_event("checkin.not_started", patient=patient_id, why=why[0])
        return
    language = patient.language or "en"
    content = current_app.extensions["nextsteps.content"].in_language(language)
    fill = current_app.extensions["nextsteps.pipeline"].fill(language)
    body, phone = first_question(content.checkins, fill), patient.phone
    db.session.commit()  # no transaction open while Twilio answers
    result = get_transport().send(phone, body, status_callback_url())
    _record_start(patient_id, phone, body, result, language, now, stats)


def _record_start(
    patient_id: int,
    phone: str,
    body: str,
    result: tr.SendResult,
    language: str,
    now: datetime,
    stats: CheckinStats,
) -> None:
    patient = db.session.get(Patient, patient_id)
    if patient is None:  # erased while the text was on its way
        return
    record_outbound(phone, body, result, patient, topic=TOPIC)
    if result.outcome == tr.SENT or result.unknown:
        store.start(patient, store.CLOCK, language, now)
        stats.started += 1
    else:
        apply_send_failure(patient, result)
        row = db.session.get(CheckinSchedule, patient_id)
        row.note = f"not sent: {result.error_code or result.error}"[:200]
        stats.skipped += 1
    db.session.commit()
    log_event("checkin.started", phone=phone, outcome=result.outcome)
