"""The clock and time zones: store naive UTC, compute and show local time with zoneinfo.

`utcnow()` is the one place the code reads the time; code that plans or sends takes a
`now` argument defaulting to it, and tests stop it with time-machine (tests/conftest.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    """Naive UTC now: one representation on SQLite and PostgreSQL alike."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_local(utc_naive: datetime, tz: str) -> datetime:
    return utc_naive.replace(tzinfo=UTC).astimezone(ZoneInfo(tz))


def to_utc(local_naive: datetime, tz: str) -> datetime:
    """A wall-clock time in `tz` as naive UTC. A time skipped by DST moves forward."""
    aware = local_naive.replace(tzinfo=ZoneInfo(tz))
    # Round-trip through UTC: a nonexistent local time (spring forward) normalises forward.
    return aware.astimezone(UTC).replace(tzinfo=None)


# Spanish day and month names, written the GSM-7 way (no accents on a, i, o, u; é is
# GSM-7). Days in full: "mar" alone is also Tuesday, March and the sea.
_DAYS_ES = ("lunes", "martes", "miércoles", "jueves", "viernes", "sabado", "domingo")
_MONTHS_ES = ("ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic")


def format_when(utc_naive: datetime, tz: str, language: str | None = None) -> str:
    """'Tue Jan 12 at 9:30 AM' ('martes 12 ene a las 9:30 AM' in Spanish): short, unambiguous
    on an old phone, GSM-7 only. Independent of the machine's locale."""
    local = to_local(utc_naive, tz)
    hour = local.strftime("%I").lstrip("0") or "12"
    if language == "es":
        day, month = _DAYS_ES[local.weekday()], _MONTHS_ES[local.month - 1]
        return f"{day} {local.day} {month} a las {hour}:{local:%M %p}"
    return f"{local:%a %b} {local.day} at {hour}:{local:%M %p}"
