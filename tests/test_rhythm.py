"""The rescan rhythm: propose the next scan, book it, and let the clock keep it going."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import DONE, PENDING, SCHEDULED, Scan
from bot.reminders.rhythm import apply_rhythm, propose_next_scan
from bot.timeutil import to_local
from schedules.clock import tick
from tests.reminder_helpers import make_patient, planned_local, scan_at, utc

# Every date below is a fixed calendar date after NOW (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("now")


def _rhythm(patient, start="2027-01-04 15:00", first=12, every=8):  # noqa: ANN001, ANN202
    patient.treatment_start = utc(start)  # Mon Jan 4 2027, 10:00 New York
    patient.rhythm_first_weeks, patient.rhythm_every_weeks = first, every
    db.session.commit()


def _scans(patient) -> list[tuple[str, str]]:  # noqa: ANN001
    rows = db.session.scalars(
        select(Scan).where(Scan.patient_id == patient.id).order_by(Scan.scheduled_at)
    )
    return [
        (f"{to_local(s.scheduled_at, patient.timezone):%Y-%m-%d %H:%M}", s.status) for s in rows
    ]


def test_no_rhythm_no_proposal(app):
    with app.app_context():
        patient = make_patient()
        assert propose_next_scan(patient) is None
        assert apply_rhythm(patient) is None


def test_first_scan_n_weeks_after_start_then_every_m_weeks(app):
    with app.app_context():
        patient = make_patient()
        _rhythm(patient)
        now = utc("2027-01-05 12:00")
        assert propose_next_scan(patient, now) == datetime(2027, 3, 29, 9, 0)

        scan = apply_rhythm(patient, now)
        db.session.commit()
        assert scan is not None and scan.kind == "CT"
        assert apply_rhythm(patient, now) is None  # a future scan exists: nothing more
        # Its reminders are planned like any scan's.
        assert planned_local(patient) == ["2027-03-22 10:00", "2027-03-28 10:00"]

        # Once that scan has passed, the next is 8 weeks after it.
        after = utc("2027-03-30 12:00")
        assert propose_next_scan(patient, after) == datetime(2027, 5, 24, 9, 0)


def test_next_scan_counts_from_the_last_real_one_and_keeps_local_time_across_dst(app):
    with app.app_context():
        patient = make_patient()
        _rhythm(patient, every=8)
        scan_at(patient, "2027-02-22 08:45", kind="PET")  # moved off the rhythm, in EST
        proposal = propose_next_scan(patient, utc("2027-02-23 00:00"))
        assert proposal == datetime(2027, 4, 19, 8, 45)  # 8 weeks on, 08:45 EDT


def test_a_late_call_still_proposes_a_future_date(app):
    with app.app_context():
        patient = make_patient()
        _rhythm(patient, first=12, every=8)
        # Treatment started Jan 4: the rhythm's dates are Mar 29, May 24, Jul 19...
        assert propose_next_scan(patient, utc("2027-06-01 12:00")) == datetime(2027, 7, 19, 9, 0)


def test_clock_marks_passed_scans_done_and_books_the_next(app):
    with app.app_context():
        with_rhythm = make_patient("+16145550123")
        _rhythm(with_rhythm)
        scan_at(with_rhythm, "2027-03-29 09:00", kind="PET")
        without = make_patient("+16145550124", status=PENDING)
        scan_at(without, "2027-03-29 11:00")

        tick(now=utc("2027-03-29 18:00"))  # both scans are over
        db.session.expire_all()
        assert _scans(with_rhythm) == [
            ("2027-03-29 09:00", DONE),
            ("2027-05-24 09:00", SCHEDULED),
        ]
        assert _scans(without) == [("2027-03-29 11:00", DONE)]
        nxt = db.session.scalars(
            select(Scan).where(Scan.patient_id == with_rhythm.id, Scan.status == SCHEDULED)
        ).one()
        assert nxt.kind == "PET"  # same kind as the last one

        tick(now=utc("2027-03-29 18:05"))  # idempotent
        assert len(_scans(with_rhythm)) == 2


def test_a_rhythm_scan_has_a_date_and_no_invented_time(app, phone):  # noqa: ANN001
    """The rhythm knows the week, not the hour: texts say "time to be confirmed" (they said
    "Mon Mar 29 at 9:00 AM") until staff set the time by moving the scan."""
    from bot.models import PLANNED
    from bot.reminders.scans import move_scan
    from tests.reminder_helpers import reminders

    with app.app_context():
        patient = make_patient(phone.number)
        _rhythm(patient)
        scan = apply_rhythm(patient, utc("2027-01-05 12:00"))
        db.session.commit()
        assert scan.time_confirmed is False
        week, day = (r.body for r in reminders(patient, PLANNED))
        assert "CT scan Mon Mar 29 (time to be confirmed)." in week
        assert "CT scan tomorrow (time to be confirmed)." in day
        assert "9:00" not in week + day
    answer = phone.text("when is my next scan?")
    assert "Your next CT scan is Mon Mar 29 (time to be confirmed)." in answer
    with app.app_context():
        scan = db.session.get(Scan, scan.id)
        move_scan(scan, datetime(2027, 3, 29, 13, 30))
        db.session.commit()
        assert scan.time_confirmed is True
        week, day = (r.body for r in reminders(scan.patient, PLANNED))
        assert "Mon Mar 29 at 1:30 PM" in week and "tomorrow at 1:30 PM" in day
