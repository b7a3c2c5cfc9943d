"""The clock: one tick, its heartbeat, the scheduler's job, and `python -m schedules`."""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import threading
import time
from datetime import UTC, timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import select, update

from bot.extensions import db
from bot.models import SENT, ClockTick, Message, Reminder
from schedules.clock import HEARTBEAT, TICK_JOB_ID, build_scheduler, tick
from tests.conftest import NOW
from tests.procs import clock_env
from tests.reminder_helpers import make_patient, scan_at, utc

ROOT = Path(__file__).resolve().parents[1]


def test_tick_records_its_time_for_healthz(twilio_app, fake_twilio, now):
    with twilio_app.app_context():
        scan_at(make_patient(), "2027-01-12 09:30")
        tick(now=utc("2027-01-05 15:05"))
        row = db.session.get(ClockTick, HEARTBEAT)
        assert row.last_tick_at == utc("2027-01-05 15:05")
        assert "sent=1" in row.detail
        assert len(fake_twilio.messages) == 1


def test_scheduler_has_one_stable_job(app):
    scheduler = build_scheduler(app)
    build_again = build_scheduler(app)
    (job,) = scheduler.get_jobs()
    assert job.id == TICK_JOB_ID == build_again.get_jobs()[0].id
    assert job.coalesce is True and job.max_instances == 1
    assert job.misfire_grace_time >= 300
    assert job.trigger.interval == timedelta(seconds=app.config["CLOCK_TICK_SECONDS"])
    assert not scheduler.running  # building never starts it (web workers import bot freely)


@pytest.mark.slow
def test_python_m_schedules_once_with_now(twilio_app, fake_twilio, database_uri, now):
    with twilio_app.app_context():
        scan_at(make_patient(), "2027-01-12 09:30")
    done = subprocess.run(
        [sys.executable, "-m", "schedules", "--once", "--now", "2027-01-05T15:05Z"],
        cwd=ROOT,
        env=clock_env(database_uri, fake_twilio.url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "rehearsal done (the real clock is untouched): sent=1" in done.stdout
    assert len(fake_twilio.messages) == 1
    with twilio_app.app_context():  # no heartbeat, no nightly mark from the future
        assert db.session.scalars(select(ClockTick)).all() == []


def test_a_rehearsal_leaves_the_real_clocks_work_to_it(twilio_app, fake_twilio, now):
    """A rehearsal a week ahead sends what is due then, but closes nothing the real
    clock still waits on: the reminder due today is still sent by today's real tick."""
    with twilio_app.app_context():
        patient = make_patient()
        scan_at(patient, "2027-01-02 09:30")  # its 1-day reminder is due today (2027-01-01)
        scan_at(patient, "2027-01-15 09:30")
        tick(now=utc("2027-01-08 15:05"), rehearsal=True)  # the later scan's 7-day one
        (rehearsed,) = fake_twilio.messages
        assert "Jan 15" in rehearsed["body"]
        assert db.session.scalars(select(ClockTick)).all() == []
        before = len(fake_twilio.messages)
        tick(now=utc("2027-01-01 15:05"))  # the real clock, today
        assert len(fake_twilio.messages) == before + 1
        assert db.session.get(ClockTick, HEARTBEAT).last_tick_at == utc("2027-01-01 15:05")


def test_a_rehearsal_is_refused_in_production(database_uri):
    env = {**clock_env(database_uri, "http://127.0.0.1:9"), "FLASK_ENV": "production"}
    env.update(SECRET_KEY=secrets.token_hex(32), CLINIC_PHONE="614-555-0100")
    done = subprocess.run(
        [sys.executable, "-m", "schedules", "--once", "--now", "2027-01-05T15:05Z"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "refused with FLASK_ENV=production" in done.stderr


@pytest.mark.slow
def test_kill_9_mid_batch_then_restart_loses_none_and_doubles_none(
    twilio_app, fake_twilio, database_uri
):
    """The clock processes start at NOW (--now) and their time runs on from there; fake
    Twilio, like Twilio, keeps the real time, so only the set-up is done at NOW."""
    count = 60
    now = NOW
    fake_twilio.latency = 0.05
    with time_machine.travel(now.replace(tzinfo=UTC), tick=False), twilio_app.app_context():
        for i in range(count):
            scan_at(make_patient(f"+1614555{i:04d}"), "2027-01-12 09:30")
        # Make the 7-day reminders due now; the clock process starts at the same NOW.
        db.session.execute(
            update(Reminder)
            .where(Reminder.offset_days == 7)
            .values(due_at=now - timedelta(minutes=1))
        )
        db.session.commit()
    env = clock_env(
        database_uri,
        fake_twilio.url,
        SEND_RATE_PER_SECOND="40",
        SEND_CONCURRENCY="4",
        QUIET_HOURS_START="00:00",  # whatever the hour in New York when this runs
        QUIET_HOURS_END="00:00",
    )
    clock = subprocess.Popen(
        [sys.executable, "-m", "schedules", "--once", "--now", now.isoformat() + "Z"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while len(fake_twilio.messages) < count // 3 and clock.poll() is None:
        assert time.monotonic() < deadline, "the clock sent nothing"
        time.sleep(0.02)
    clock.send_signal(signal.SIGKILL)
    clock.wait()
    assert clock.returncode == -signal.SIGKILL
    sent_before_restart = len(fake_twilio.messages)
    assert 0 < sent_before_restart < count

    # Restart once the lease on the orphaned claims has run out.
    lease = twilio_app.config["REMINDER_LEASE_SECONDS"]
    # The first run's clock ran on from NOW for a few seconds: a minute covers it.
    later = (now + timedelta(seconds=lease + 60)).isoformat() + "Z"
    done = subprocess.run(
        [sys.executable, "-m", "schedules", "--once", "--now", later],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    print(f"killed after {sent_before_restart} texts; restart: {done.stdout.strip()}")

    sent = fake_twilio.messages
    assert len(sent) == count, "lost or doubled texts"
    assert len({m["to"] for m in sent}) == count
    with twilio_app.app_context():
        week_before = db.session.scalars(select(Reminder).where(Reminder.offset_days == 7)).all()
        assert {r.status for r in week_before} == {SENT}
        assert {r.twilio_sid for r in week_before} == {m["sid"] for m in sent}
        recorded = db.session.scalars(select(Message.twilio_sid).where(Message.topic == "reminder"))
        assert sorted(recorded) == sorted(m["sid"] for m in sent)
        assert all(r.status != SENT for r in reminders_of_day_before())


def reminders_of_day_before() -> list[Reminder]:
    return list(db.session.scalars(select(Reminder).where(Reminder.offset_days == 1)))


def test_heartbeat_stays_fresh_during_a_long_batch(app_config, request, fake_twilio, time_machine):
    """A batch that takes seconds keeps /healthz's clock age small: the heartbeat is
    written during the batch, not only at its start and end."""
    app_config.update(SEND_RATE_PER_SECOND=4.0, CLOCK_HEARTBEAT_SECONDS=1)
    time_machine.move_to(NOW.replace(tzinfo=UTC), tick=False)
    app = request.getfixturevalue("twilio_app")
    with app.app_context():
        for i in range(16):
            scan_at(make_patient(f"+1614555{i:04d}"), "2027-01-12 09:30")
    # Time flows from just after the 7-day reminders fall due: 16 texts at 4 a second.
    time_machine.move_to(utc("2027-01-05 15:01").replace(tzinfo=UTC), tick=True)
    ages: list[float] = []
    done = threading.Event()

    def watch() -> None:
        client = app.test_client()
        while not done.is_set():
            age = client.get("/healthz").get_json()["clock_last_tick_age_seconds"]
            if age is not None:
                ages.append(age)
            time.sleep(0.1)

    watcher = threading.Thread(target=watch)
    watcher.start()
    started = time.monotonic()
    try:
        with app.app_context():
            stats = tick()
    finally:
        done.set()
        watcher.join()
    assert stats.sent == 16 and time.monotonic() - started > 3
    assert len(ages) > 20 and max(ages) < 2.0, ages
