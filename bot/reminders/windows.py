"""When a reminder may go out: quiet hours and the grace period. The one home for both.

Quiet hours are local wall-clock times in the patient's zone (default 20:00-09:00, which
wraps past midnight). Equal start and end mean no quiet hours.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, time, timedelta

from bot.timeutil import to_local, to_utc


def hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def in_quiet_hours(utc: datetime, tz: str, config: Mapping) -> bool:
    """Whether `utc` (naive UTC) falls in the patient's quiet hours."""
    start, end = hhmm(config["QUIET_HOURS_START"]), hhmm(config["QUIET_HOURS_END"])
    now = to_local(utc, tz).time()
    if start == end:
        return False
    if start < end:
        return start <= now < end
    return now >= start or now < end  # wraps midnight


def next_allowed(utc: datetime, tz: str, config: Mapping) -> datetime:
    """`utc` itself, or the end of the quiet hours it falls in (naive UTC)."""
    if not in_quiet_hours(utc, tz, config):
        return utc
    end = hhmm(config["QUIET_HOURS_END"])
    local = to_local(utc, tz).replace(tzinfo=None)
    day = local.date() if local.time() < end else local.date() + timedelta(days=1)
    return to_utc(datetime.combine(day, end), tz)


def grace(config: Mapping) -> timedelta:
    return timedelta(minutes=config["REMINDER_GRACE_MINUTES"])


def is_missed(due_at: datetime, now: datetime, config: Mapping) -> bool:
    """Past its moment by more than the grace period: skipped, never sent late."""
    return due_at < now - grace(config)


def missed_note(config: Mapping) -> str:
    return f"missed: not sent within {config['REMINDER_GRACE_MINUTES']} min of its time"
