"""The rescan rhythm: first scan N weeks after treatment start, then every M weeks.

Plain functions so the staff console can call them as the clock does. Enrolling with a
rhythm and no scan books the first one (bot.staff.intake); after that the clock marks
scans whose time has passed as done and, for patients with a rhythm, books the next one
(`advance_rhythms`). The next scan counts from the latest real scan, because a rescan is
booked "M weeks after the last one" even when the last one was moved.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select

from bot.extensions import db
from bot.logs import log_event
from bot.models import DONE, SCHEDULED, Patient, Scan, utcnow
from bot.queries import upcoming_scan
from bot.reminders.scans import add_scan
from bot.reminders.windows import hhmm
from bot.timeutil import to_local, to_utc

BATCH = 500


def _last_scan(patient: Patient) -> Scan | None:
    return db.session.scalars(
        select(Scan)
        .where(Scan.patient_id == patient.id, Scan.status.in_((SCHEDULED, DONE)))
        .order_by(Scan.scheduled_at.desc())
        .limit(1)
    ).first()


def has_rhythm(patient: Patient) -> bool:
    return bool(
        patient.treatment_start and patient.rhythm_first_weeks and patient.rhythm_every_weeks
    )


def propose_next_scan(patient: Patient, now: datetime | None = None) -> datetime | None:
    """The next scan in the patient's rhythm after `now`, as local wall-clock time in the
    patient's zone (what `bot.reminders.scans.add_scan` takes), or None without a rhythm.

    From the latest scan (scheduled or done): that scan + M weeks, same local time. With
    no scan yet: treatment start (its date) + N weeks at RHYTHM_SCAN_LOCAL_TIME. Dates already past
    step on by M weeks, so a late call still proposes a future date.
    """
    if not has_rhythm(patient):
        return None
    now = now or utcnow()
    tz = patient.timezone
    last = _last_scan(patient)
    if last is not None:
        local = to_local(last.scheduled_at, tz).replace(tzinfo=None)
        when = local + timedelta(weeks=patient.rhythm_every_weeks)
    else:
        # A calendar date (the console stores the day at midnight), not an instant.
        start = patient.treatment_start.date()
        when = datetime.combine(
            start + timedelta(weeks=patient.rhythm_first_weeks),
            hhmm(current_app.config["RHYTHM_SCAN_LOCAL_TIME"]),
        )
    # Local calendar arithmetic: the time of day survives DST changes.
    while to_utc(when, tz) <= now:
        when += timedelta(weeks=patient.rhythm_every_weeks)
    return when


def apply_rhythm(
    patient: Patient, now: datetime | None = None, kind: str | None = None
) -> Scan | None:
    """Book the proposed scan when the patient has no future scheduled scan. Caller commits.

    The scan is of `kind`, else the same kind as the last one (CT if none). Only its date
    comes from the rhythm: the hour is a placeholder, so the scan's time is "to be
    confirmed" (texts say so, the patient page asks staff for it) until staff move it.
    Returns the new scan (its reminders already planned), or None when nothing was due.
    """
    now = now or utcnow()
    future = upcoming_scan(patient, now)
    when = None if future is not None else propose_next_scan(patient, now)
    if when is None:
        return None
    last = _last_scan(patient)
    kind = kind or (last.kind if last else "CT")
    place = last.place if last else ""
    scan = add_scan(patient, when, kind=kind, place=place, now=now, time_confirmed=False)
    log_event("rhythm.scan_proposed", phone=patient.phone, scan=scan.id)
    return scan


def advance_rhythms(now: datetime | None = None) -> int:
    """Mark scans whose time has passed as done; book the next scan for patients with a
    rhythm. Only touches scans that just passed (ix_scans_upcoming), so the
    cost does not grow with the number of future scans. Commits per batch."""
    now = now or utcnow()
    booked = 0
    while True:
        passed = db.session.scalars(
            select(Scan)
            .where(Scan.status == SCHEDULED, Scan.scheduled_at <= now)
            .order_by(Scan.scheduled_at)
            .limit(BATCH)
        ).all()
        if not passed:
            return booked
        patients = {}
        for scan in passed:
            scan.status = DONE
            patients[scan.patient_id] = scan.patient
        db.session.flush()
        for patient in patients.values():
            if has_rhythm(patient) and apply_rhythm(patient, now) is not None:
                booked += 1
        db.session.commit()
