"""How many reminders a patient may get: the TCPA health-care exemption's caps.

At most REMINDER_MAX_PER_DAY a local calendar day and REMINDER_MAX_PER_WEEK in any
rolling 7 days (stricter than calendar weeks, so never over the limit whichever week
a reader means). Reminders already sent or in flight count and never move.

Which reminder gives way: candidates are offered in priority order and the first that
fit are kept. The planner offers the reminder nearest its scan first (1 day before beats
7 days before: it carries the time when it matters most), then the earlier scan.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from datetime import datetime, timedelta

from bot.timeutil import to_local

WEEK = timedelta(days=7)


def _fits(t: datetime, kept: list[datetime], tz: str, per_day: int, per_week: int) -> str | None:
    day = to_local(t, tz).date()
    if sum(1 for k in kept if to_local(k, tz).date() == day) >= per_day:
        return f"gave way: at most {per_day} reminder(s) a day"
    times = sorted([*kept, t])
    # Every 7-day window that contains t starts at some kept time (or t) within 7 days before it.
    for start in (x for x in times if t - WEEK < x <= t):
        if sum(1 for x in times if start <= x < start + WEEK) > per_week:
            return f"gave way: at most {per_week} reminders a week"
    return None


def apply_caps(
    candidates: Iterable[tuple[Hashable, datetime]],
    fixed: Iterable[datetime],
    tz: str,
    config: Mapping,
) -> dict[Hashable, str | None]:
    """For each candidate (key, due_at) in priority order: None if kept, else the reason."""
    per_day, per_week = config["REMINDER_MAX_PER_DAY"], config["REMINDER_MAX_PER_WEEK"]
    kept = list(fixed)
    verdict: dict[Hashable, str | None] = {}
    for key, due_at in candidates:
        reason = _fits(due_at, kept, tz, per_day, per_week)
        verdict[key] = reason
        if reason is None:
            kept.append(due_at)
    return verdict
