"""The plan: which reminders a patient gets, when (local time, DST, quiet hours, caps),
and what they say."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.extensions import db
from bot.models import CANCELLED, PAUSED, PENDING, PLANNED, SKIPPED, STOPPED, Patient, Scan
from bot.reminders.planner import replan
from bot.reminders.scans import cancel_scan, move_scan
from bot.reminders.windows import in_quiet_hours
from bot.sms.segments import segment_info
from bot.timeutil import to_local
from tests.reminder_helpers import make_patient, planned_local, reminders, scan_at, utc

# Every date below is a fixed calendar date after NOW (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("now")


@pytest.mark.parametrize(
    ("tz", "scan", "expected_utc"),
    [
        # Spring forward (Sun Mar 14 2027): 10:00 EST is 15:00Z, 10:00 EDT is 14:00Z.
        ("America/New_York", "2027-03-15 09:30", ["2027-03-08 15:00", "2027-03-14 14:00"]),
        # Fall back (Sun Nov 7 2027): 10:00 EDT is 14:00Z, 10:00 EST is 15:00Z.
        ("America/New_York", "2027-11-08 09:30", ["2027-11-01 14:00", "2027-11-07 15:00"]),
        # No DST: the same UTC hour every day of the year.
        ("America/Phoenix", "2027-03-15 09:30", ["2027-03-08 17:00", "2027-03-14 17:00"]),
        ("Asia/Kolkata", "2027-11-08 09:30", ["2027-11-01 04:30", "2027-11-07 04:30"]),
    ],
)
def test_reminders_are_at_10_local_7_and_1_days_before_across_dst(app, tz, scan, expected_utc):
    with app.app_context():
        patient = make_patient(tz=tz)
        scan_at(patient, scan, kind="PET")
        rows = reminders(patient, PLANNED)
        assert [f"{r.due_at:%Y-%m-%d %H:%M}" for r in rows] == expected_utc
        assert [f"{to_local(r.due_at, tz):%H:%M}" for r in rows] == ["10:00", "10:00"]
        assert [r.offset_days for r in rows] == [7, 1]
        # The text gives the scan's local time, whatever the offset that day.
        day = "Mon Mar 15" if "03-15" in scan else "Mon Nov 8"
        week, tomorrow = (r.body for r in rows)
        assert f"PET scan {day} at 9:30 AM." in week
        assert "PET scan tomorrow at 9:30 AM." in tomorrow


def test_reminder_in_quiet_hours_moves_to_their_end(app_config, request):
    app_config["REMINDER_LOCAL_TIME"] = "07:30"  # before the default 09:00 end
    app = request.getfixturevalue("app")
    with app.app_context():
        patient = make_patient(tz="America/Chicago")
        scan_at(patient, "2027-01-12 13:00")
        assert planned_local(patient) == ["2027-01-05 09:00", "2027-01-11 09:00"]


def test_evening_reminder_moves_to_next_morning_and_is_dropped_after_the_scan(app_config, request):
    app_config.update(REMINDER_LOCAL_TIME="21:00", REMINDER_OFFSETS_DAYS=[1])
    app = request.getfixturevalue("app")
    with app.app_context():
        late = make_patient(phone="+16145550123")
        scan_at(late, "2027-01-12 11:00")
        # 21:00 the day before is quiet: it goes at 09:00, still before the 11:00 scan.
        assert planned_local(late) == ["2027-01-12 09:00"]

        early = make_patient(phone="+16145550124")
        scan_at(early, "2027-01-12 08:00")
        (row,) = reminders(early)
        assert row.status == SKIPPED and row.note == "would fall after the scan"


def test_custom_quiet_hours_within_a_day(app_config, request):
    app_config.update(QUIET_HOURS_START="09:30", QUIET_HOURS_END="12:15")
    app = request.getfixturevalue("app")
    with app.app_context():
        patient = make_patient()
        scan_at(patient, "2027-01-12 15:00")
        assert planned_local(patient) == ["2027-01-05 12:15", "2027-01-11 12:15"]


def _no_cap_broken(patient) -> None:
    times = [to_local(r.due_at, patient.timezone) for r in reminders(patient, PLANNED)]
    days = [t.date() for t in times]
    assert len(days) == len(set(days)), "two reminders on one day"
    for start in times:
        assert sum(1 for t in times if start <= t < start + timedelta(days=7)) <= 3


def test_one_a_day_the_reminder_nearest_its_scan_wins(app):
    with app.app_context():
        patient = make_patient()
        scan_at(patient, "2027-01-12 09:30")
        scan_at(patient, "2027-01-18 09:30")  # its 7-day reminder falls on Jan 11 too
        assert planned_local(patient) == [
            "2027-01-05 10:00",
            "2027-01-11 10:00",
            "2027-01-17 10:00",
        ]
        (skipped,) = reminders(patient, SKIPPED)
        assert skipped.offset_days == 7 and "1 reminder(s) a day" in skipped.note
        _no_cap_broken(patient)


def test_three_a_week(app):
    with app.app_context():
        patient = make_patient()
        for day in ("12", "13", "14"):
            scan_at(patient, f"2027-01-{day} 09:30")
        assert planned_local(patient) == [
            "2027-01-05 10:00",
            "2027-01-06 10:00",
            "2027-01-11 10:00",
            "2027-01-12 10:00",
            "2027-01-13 10:00",
        ]
        (skipped,) = reminders(patient, SKIPPED)
        assert f"{skipped.due_at:%m-%d}" == "01-07" and "3 reminders a week" in skipped.note
        _no_cap_broken(patient)


def test_sent_reminders_count_toward_the_caps(app):
    with app.app_context():
        patient = make_patient()
        scan_at(patient, "2027-01-12 09:30", kind="CT")
        for row in reminders(patient):
            row.status = "sent"
        db.session.commit()
        scan_at(patient, "2027-01-12 15:00", kind="PET")  # same days as the ones sent
        assert planned_local(patient) == []
        assert all("a day" in r.note for r in reminders(patient, SKIPPED))


def test_moved_scan_replans_and_cancelled_scan_cancels(app):
    with app.app_context():
        patient = make_patient()
        scan = scan_at(patient, "2027-01-12 09:30")
        assert planned_local(patient) == ["2027-01-05 10:00", "2027-01-11 10:00"]

        move_scan(scan, utc("2027-01-20 14:00"))
        db.session.commit()
        assert planned_local(patient) == ["2027-01-13 10:00", "2027-01-19 10:00"]
        week, tomorrow = (r.body for r in reminders(patient, PLANNED))
        assert "Wed Jan 20 at 2:00 PM" in week and "tomorrow at 2:00 PM" in tomorrow
        assert not [r for r in reminders(patient) if r.due_at.day in (5, 11)]

        cancel_scan(scan)
        db.session.commit()
        assert planned_local(patient) == []
        assert {r.status for r in reminders(patient)} == {CANCELLED}


def test_scan_moved_after_a_reminder_went_out_gets_reminders_for_the_new_date(app):
    with app.app_context():
        patient = make_patient()
        scan = scan_at(patient, "2027-01-12 09:30")
        first = reminders(patient)[0]
        first.status = "sent"
        db.session.commit()
        move_scan(scan, utc("2027-02-02 09:30"))
        db.session.commit()
        assert planned_local(patient) == ["2027-01-26 10:00", "2027-02-01 10:00"]
        db.session.refresh(first)
        assert first.status == "sent" and first.scan_id is None  # kept as history


@pytest.mark.parametrize("status", [PENDING, STOPPED, PAUSED])
def test_only_opted_in_patients_get_reminders(app, status):
    with app.app_context():
        patient = make_patient(status=status)
        scan_at(patient, "2027-01-12 09:30")
        assert planned_local(patient) == []


def test_pausing_cancels_and_resuming_restores(app):
    with app.app_context():
        patient = make_patient()
        scan_at(patient, "2027-01-12 09:30")
        patient.status = PAUSED
        replan(patient)
        db.session.commit()
        assert {r.status for r in reminders(patient)} == {CANCELLED}
        patient.status = "active"
        replan(patient)
        db.session.commit()
        assert planned_local(patient) == ["2027-01-05 10:00", "2027-01-11 10:00"]


def test_moment_already_past_is_recorded_skipped(app):
    with app.app_context():
        patient = make_patient()
        scan_at(patient, "2027-01-12 09:30")
        replan(patient, now=utc("2027-01-08 12:00"))
        db.session.commit()
        assert planned_local(patient) == ["2027-01-11 10:00"]
        (skipped,) = reminders(patient, SKIPPED)
        assert skipped.offset_days == 7 and "had passed" in skipped.note


def test_the_text_is_short_plain_and_names_the_program_and_local_time(app):
    with app.app_context():
        patient = make_patient(tz="America/Chicago")
        scan_at(patient, "2027-01-12 09:30", kind="PET")
        week, day = sorted(reminders(patient, PLANNED), key=lambda r: r.due_at)
        for row in (week, day):
            info = segment_info(row.body)
            assert info.encoding == "GSM-7" and info.segments == 1, row.body
            assert row.body.endswith("Reply C to confirm, R to change, STOP to end.")
        assert week.body.startswith("NextSteps: PET scan Tue Jan 12 at 9:30 AM.")
        # Sent the day before (its due time, not the planning time, decides): "tomorrow".
        assert day.body.startswith("NextSteps: PET scan tomorrow at 9:30 AM.")


def test_every_english_reminder_is_one_segment_whatever_the_question(app):
    with app.app_context():
        patient = make_patient(tz="America/Chicago")
        for month in range(1, 13):  # enough scans to walk through every question
            scan_at(patient, f"2027-{month:02d}-28 10:30", kind="PET")
        bodies = [r.body for r in reminders(patient, PLANNED)]
    assert len(bodies) >= 14
    assert all(segment_info(b).segments == 1 for b in bodies), max(bodies, key=len)


def test_discreet_text_never_says_scan_cancer_or_immunotherapy(app):
    with app.app_context():
        patient = make_patient(discreet=True)
        # Enough scans to walk through every question.
        for month in range(1, 13):
            scan_at(patient, f"2027-{month:02d}-20 09:30")
        rows = reminders(patient, PLANNED)
        assert len(rows) == 24
        for row in rows:
            lowered = row.body.lower()
            for word in ("scan", "cancer", "immunotherapy", "pet", " ct "):
                assert word not in lowered, row.body
            assert segment_info(row.body).segments <= 2


def test_questions_rotate_so_each_reminder_asks_something_new(app):
    with app.app_context():
        patient = make_patient()
        for month in ("02", "04", "06"):
            scan_at(patient, f"2027-{month}-20 09:30")
        asks = [r.body.split("Ask: ")[1].split(" Reply")[0] for r in reminders(patient, PLANNED)]
        assert len(asks) == 6 and len(set(asks)) == 6


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    tz=st.sampled_from(["America/New_York", "America/Phoenix", "Asia/Kolkata"]),
    scans=st.lists(
        st.tuples(st.integers(0, 40), st.integers(6, 20), st.sampled_from([0, 30])),
        min_size=1,
        max_size=6,
    ),
)
def test_any_set_of_scans_gives_a_plan_within_the_rules(app, tz, scans):
    """Whatever the scans: planned reminders are out of quiet hours, before their scan,
    within the caps; every other slot is recorded as skipped with its reason."""
    with app.app_context():
        db.session.query(Patient).delete()
        db.session.commit()
        patient = make_patient(tz=tz)
        for day, hour, minute in scans:
            local = datetime(2027, 3, 1, hour, minute) + timedelta(days=day)
            scan_at(patient, f"{local:%Y-%m-%d %H:%M}")
        rows = reminders(patient)
        assert len(rows) == 2 * len(scans)
        for row in rows:
            if row.status == PLANNED:
                assert not in_quiet_hours(row.due_at, tz, app.config)
                assert row.due_at < db.session.get(Scan, row.scan_id).scheduled_at
                assert segment_info(row.body).segments <= 2
            else:
                assert row.status == SKIPPED and row.note
        _no_cap_broken(patient)


def test_the_plan_is_a_pure_function_of_patient_scans_settings_and_now(app, now):
    """No app context, no database: plan_reminders only reads its arguments."""
    from bot.reminders.planner import plan_reminders

    patient = Patient(id=1, phone="+16145550123", status="active", timezone="America/Chicago")
    scan = Scan(id=7, patient_id=1, scheduled_at=now + timedelta(days=11, hours=3), kind="CT")
    plan = plan_reminders(patient, [scan], [], dict(app.config), now)
    assert [(r.key, r.note) for r in plan.rows] == [((7, 7), None), ((7, 1), None)]
    assert [f"{to_local(r.due_at, 'America/Chicago'):%H:%M}" for r in plan.rows] == ["10:00"] * 2
    assert plan.detached == [] and plan.stale == []
