"""The clock and time zones: store naive UTC, compute and show local time with zoneinfo.

`utcnow()` is the one place the code reads the time; code that plans or sends takes a
`now` argument defaulting to it, and tests stop it with time-machine (tests/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass
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


# Spanish day and month names, written the GSM-7 way: no accents on a, i, o, u (é and ñ
# are GSM-7). Days in full: "mar" alone is also Tuesday, March and the sea.
_DAYS_ES = ("lunes", "martes", "miercoles", "jueves", "viernes", "sabado", "domingo")
_MONTHS_ES = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip
# "tomorrow" and "today" in each language; "mañana": ñ is GSM-7.
_RELATIVE = {"en": ("today", "tomorrow"), "es": ("hoy", "mañana")}
TIME_TBC = {"en": "time to be confirmed", "es": "hora por confirmar"}


def format_when(
    utc_naive: datetime,
    tz: str,
    language: str | None = None,
    now: datetime | None = None,
    time_known: bool = True,
) -> str:
    """'Tue Jan 12 at 9:30 AM' ('el martes 12 de enero a las 9:30 AM' in Spanish): short,
    unambiguous on an old phone, GSM-7 only, independent of the machine's locale. With
    `now`, a scan today or tomorrow (the patient's days) says so. Without a known time
    (a rhythm-planned date), the time is "to be confirmed", never invented."""
    lang = language if language in _RELATIVE else "en"
    local = to_local(utc_naive, tz)
    day = _day_words(local, lang, now, tz)
    if not time_known:
        return f"{day} ({TIME_TBC[lang]})"
    hour = local.strftime("%I").lstrip("0") or "12"
    at = "a las" if lang == "es" else "at"
    return f"{day} {at} {hour}:{local:%M %p}"


def format_day(utc_naive: datetime, tz: str, language: str | None = None) -> str:
    """The local date alone, in the language: 'Tue Jan 12', 'el martes 12 de enero'."""
    lang = language if language in _RELATIVE else "en"
    return _day_words(to_local(utc_naive, tz), lang, None, tz)


def _day_words(local: datetime, lang: str, now: datetime | None, tz: str) -> str:
    if now is not None:
        ahead = (local.date() - to_local(now, tz).date()).days
        if ahead in (0, 1):
            return _RELATIVE[lang][ahead]
    if lang == "es":
        return f"el {_DAYS_ES[local.weekday()]} {local.day} de {_MONTHS_ES[local.month - 1]}"
    return f"{local:%a %b} {local.day}"


@dataclass(frozen=True)
class When:
    """A moment to show a patient, worded later in the language of the sentence it sits
    in (the reply's language, not necessarily the stored one)."""

    utc: datetime
    tz: str
    now: datetime | None = None  # set: "today"/"tomorrow" where it is
    time_known: bool = True

    def text(self, language: str | None) -> str:
        return format_when(self.utc, self.tz, language, self.now, self.time_known)
