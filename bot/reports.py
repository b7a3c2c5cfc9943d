"""How the service is doing: the dashboard's numbers, one query function per table.

Each function takes a `Period` (local calendar days in the clinic's zone) and returns a
`Table` (the same rows feed the page, its chart and its CSV). Days are counted in the
clinic's zone (DEFAULT_TIMEZONE), not UTC, so "Monday" means the clinic's Monday.
Read-only; no Flask request in here.
"""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from bot.extensions import db
from bot.models import INBOUND, ConsentEvent, Message, Reminder
from bot.patients.status import ConsentKind, ReminderStatus
from bot.timeutil import to_local, to_utc

DEFAULT_DAYS = 30
MAX_DAYS = 366


@dataclass(frozen=True)
class Period:
    start: date  # first local day
    end: date  # last local day (included)
    tz: str

    @classmethod
    def last_days(cls, now: datetime, tz: str, days: int = DEFAULT_DAYS) -> Period:
        """The `days` local days ending today (today included)."""
        today = to_local(now, tz).date()
        return cls(today - timedelta(days=days - 1), today, tz)

    def bounds(self) -> tuple[datetime, datetime]:
        """Naive UTC [from, to) covering the local days."""
        begin = to_utc(datetime.combine(self.start, time()), self.tz)
        return begin, to_utc(datetime.combine(self.end + timedelta(days=1), time()), self.tz)

    def days(self) -> list[date]:
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def day_of(self, utc_naive: datetime) -> date:
        return to_local(utc_naive, self.tz).date()


@dataclass(frozen=True)
class Table:
    name: str  # for the CSV file name and the page anchor
    title: str
    columns: list[str]
    rows: list[list]


def _per_day(period: Period, name: str, title: str, counts: dict, keys: list[str]) -> Table:
    """One row per day: the day, then one count per key (0 when none)."""
    rows = [[d.isoformat(), *(counts.get((d, k), 0) for k in keys)] for d in period.days()]
    return Table(name, title, ["day", *keys], rows)


def texts_in_by_topic(period: Period) -> Table:
    """Texts patients sent, per day and topic (most frequent topics first)."""
    begin, end = period.bounds()
    rows = db.session.execute(
        select(Message.created_at, Message.topic).where(
            Message.direction == INBOUND, Message.created_at >= begin, Message.created_at < end
        )
    ).all()
    counts: Counter = Counter()
    totals: Counter = Counter()
    for created_at, topic in rows:
        counts[(period.day_of(created_at), topic or "unknown")] += 1
        totals[topic or "unknown"] += 1
    topics = [t for t, _ in sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))]
    return _per_day(period, "texts_in", "Texts in, per day and topic", counts, topics)


REMINDER_COLUMNS = ["planned", "sent", "delivered", "failed", "skipped or cancelled"]


def reminders_by_outcome(period: Period) -> Table:
    """Reminders due each day: how many were planned, sent, delivered (Twilio's callback),
    failed, or skipped/cancelled."""
    begin, end = period.bounds()
    delivered = (
        select(Message.reminder_id)
        .where(Message.reminder_id.is_not(None), Message.status == "delivered")
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Reminder.due_at, Reminder.status, Reminder.id.in_(delivered)).where(
            Reminder.due_at >= begin, Reminder.due_at < end
        )
    ).all()
    counts: Counter = Counter()
    for due_at, status, was_delivered in rows:
        day = period.day_of(due_at)
        counts[(day, "planned")] += 1
        if status == ReminderStatus.SENT:
            counts[(day, "sent")] += 1
            counts[(day, "delivered")] += bool(was_delivered)
        elif status == ReminderStatus.FAILED:
            counts[(day, "failed")] += 1
        elif status in (ReminderStatus.SKIPPED, ReminderStatus.CANCELLED):
            counts[(day, "skipped or cancelled")] += 1
    return _per_day(period, "reminders", "Reminders, by day due", counts, REMINDER_COLUMNS)


def consent_changes(period: Period) -> Table:
    """Opt-ins (YES/START) and opt-outs (STOP, staff, Twilio) per day."""
    begin, end = period.bounds()
    rows = db.session.execute(
        select(ConsentEvent.created_at, ConsentEvent.event).where(
            ConsentEvent.event.in_((ConsentKind.OPT_IN, ConsentKind.OPT_OUT)),
            ConsentEvent.created_at >= begin,
            ConsentEvent.created_at < end,
        )
    ).all()
    counts: Counter = Counter()
    for created_at, event in rows:
        key = "opt-ins" if event == ConsentKind.OPT_IN else "opt-outs"
        counts[(period.day_of(created_at), key)] += 1
    return _per_day(period, "consent", "Opt-ins and opt-outs", counts, ["opt-ins", "opt-outs"])


def _age_buckets(overdue_hours: int) -> list[tuple[str, float]]:
    """(label, upper bound in hours), the overdue limit one of the bounds."""
    bounds = sorted({1, overdue_hours, 24, 72})
    labels, low = [], 0
    for high in bounds:
        labels.append((f"{_hours(low)} to {_hours(high)}", float(high)))
        low = high
    return [*labels, (f"over {_hours(low)}", float("inf"))]


def _hours(h: float) -> str:
    return f"{h // 24:g} days" if h >= 48 else f"{h:g} h"


def open_flags_by_age(now: datetime, overdue_hours: int) -> Table:
    """Flagged texts nobody has handled yet, by how long they have waited (as of `now`)."""
    created = db.session.scalars(
        select(Message.created_at).where(
            Message.direction == INBOUND, Message.flag.is_not(None), Message.handled_at.is_(None)
        )
    ).all()
    buckets = _age_buckets(overdue_hours)
    counts: Counter = Counter()
    for at in created:
        age = (now - at).total_seconds() / 3600
        counts[next(label for label, high in buckets if age < high)] += 1
    rows = [[label, counts[label]] for label, _ in buckets]
    return Table("open_flags", "Open flags, by time waiting", ["waiting", "flags"], rows)


def time_to_handle(period: Period) -> Table:
    """Flags handled in the period: how many and the median wait, per kind and overall."""
    begin, end = period.bounds()
    rows = db.session.execute(
        select(Message.flag, Message.created_at, Message.handled_at).where(
            Message.direction == INBOUND,
            Message.flag.is_not(None),
            Message.handled_at >= begin,
            Message.handled_at < end,
        )
    ).all()
    waits: dict[str, list[float]] = defaultdict(list)
    for flag, created_at, handled_at in rows:
        hours = max((handled_at - created_at).total_seconds(), 0) / 3600
        waits[flag].append(hours)
        waits["all flags"].append(hours)
    out = [[kind, len(w), round(statistics.median(w), 1)] for kind, w in sorted(waits.items())]
    return Table("handling", "Time to handle a flag", ["flag", "handled", "median hours"], out)


def totals(table: Table) -> dict[str, int]:
    """Column totals of a per-day table (for the summary line above a chart)."""
    return {c: sum(r[i] for r in table.rows) for i, c in enumerate(table.columns) if i}
