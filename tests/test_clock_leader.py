"""Clock high availability: exactly one clock leads. On PostgreSQL a standby takes over
when the leader is killed with -9 and finishes the batch, each reminder sent exactly
once; on SQLite a second clock refuses to start. Real processes (`python -m schedules`),
the real twilio client, the fake Twilio server counting what arrives."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, make_url, select, text
from sqlalchemy.pool import NullPool

from bot.extensions import db
from bot.models import SENT, Message, Reminder
from schedules.dispatcher import dispatch
from schedules.leader import AdvisoryLock, ClockAlreadyRunning, leadership_for
from tests.procs import ROOT, clock_env
from tests.reminder_helpers import make_patient, scan_at, utc
from tests.test_multiprocess_dispatch import _seed_due_reminders

DEADLINE = 120  # seconds: a generous bound for a stuck test, never a correctness margin


def _postgres(uri: str) -> bool:
    return uri.startswith("postgres")


def _start_clock(env: dict[str, str], log: Path) -> subprocess.Popen:
    """`python -m schedules` (the long-running clock), its log lines to `log`.

    Always on the real clock: under faketime (CI's far-future run) libfaketime breaks the
    timed waits a long-running process sleeps on between ticks (threading.Event.wait(1)
    never returns; with the monotonic clock left real, time.sleep fails with EINVAL). So
    the batch is due by the database server's clock (`_server_now`), which is real too."""
    with log.open("w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "schedules"],
            cwd=ROOT,
            env=_without_faketime(env),
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _without_faketime(env: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in env.items() if not k.startswith("FAKETIME")}
    preload = [p for p in env.get("LD_PRELOAD", "").split() if "faketime" not in p]
    env["LD_PRELOAD"] = " ".join(preload)
    return env


def _server_now() -> datetime:
    """The PostgreSQL server's time, naive UTC (never faked)."""
    return db.session.scalar(text("SELECT CAST(now() AT TIME ZONE 'UTC' AS timestamp)"))


def _wait_for(what: str, ok, procs: list[subprocess.Popen]) -> None:  # noqa: ANN001
    """Poll `ok()` until true; fail at the deadline or when a clock dies unasked."""
    deadline = time.monotonic() + DEADLINE
    while not ok():
        assert all(p.poll() is None for p in procs), f"a clock exited while waiting for {what}"
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _count(log: Path, event: str) -> int:
    """How many times the clock logged `event` (lines: time level nextsteps event k=v...)."""
    return sum(f" nextsteps {event} " in line + " " for line in log.read_text().splitlines())


def _stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            proc.wait(timeout=30)


# -- in-process: the two kinds of election ---------------------------------------------


def test_sqlite_lock_file_admits_one_clock(tmp_path: Path) -> None:
    url = make_url(f"sqlite:///{tmp_path / 'clinic.sqlite3'}")
    first = leadership_for(url, "host:1")
    assert first.lead()
    with pytest.raises(ClockAlreadyRunning, match=r"another clock \(host:1\).*exactly one"):
        leadership_for(url, "host:2")
    first.release()
    second = leadership_for(url, "host:2")  # free again once the leader is gone
    assert second.lead()
    second.release()


def test_postgres_advisory_lock_admits_one_leader(database_uri: str) -> None:
    if not _postgres(database_uri):
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL)")
    url = make_url(database_uri)
    leader, standby = AdvisoryLock(url, "host:1"), AdvisoryLock(url, "host:2")
    try:
        assert leader.lead() and not standby.lead()
        assert leader.lead() and not standby.lead()  # asked again at every tick
        leader.release()
        assert standby.lead() and standby.lead()
    finally:
        leader.release()
        standby.release()


def test_a_leader_cut_off_steps_down_and_the_standby_leads(database_uri: str) -> None:
    """The server ends the leader's session (as it does for a leader gone from the network):
    the standby takes the lock at its next try, the old leader sees it has lost."""
    if not _postgres(database_uri):
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL)")
    url = make_url(database_uri)
    leader, standby = AdvisoryLock(url, "host:1"), AdvisoryLock(url, "host:2")
    admin = create_engine(url, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    try:
        assert leader.lead()
        with admin.connect() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = 'nextsteps-clock'"
                    " AND datname = current_database()"
                )
            )
        _poll_until(standby.lead)
        assert not leader.lead()
    finally:
        leader.release()
        standby.release()
        admin.dispose()


def _poll_until(ok) -> None:  # noqa: ANN001
    deadline = time.monotonic() + DEADLINE
    while not ok():
        assert time.monotonic() < deadline
        time.sleep(0.05)


@pytest.mark.usefixtures("now")
def test_dispatch_claims_nothing_once_no_longer_leading(twilio_app, fake_twilio) -> None:
    with twilio_app.app_context():
        scan_at(make_patient(), "2027-01-12 09:30")
        stats = dispatch(now=utc("2027-01-05 15:01"), leading=lambda: False)
        assert stats.summary() == "" and fake_twilio.messages == []
        assert dispatch(now=utc("2027-01-05 15:01")).sent == 1


# -- real processes ---------------------------------------------------------------------


def test_second_clock_on_sqlite_refuses_to_start(twilio_app, fake_twilio, database_uri, tmp_path):
    if _postgres(database_uri):
        pytest.skip("SQLite only: on PostgreSQL a second clock stands by")
    env = clock_env(database_uri, fake_twilio.url, CLOCK_TICK_SECONDS="1")
    first = _start_clock(env, tmp_path / "first.log")
    try:
        _wait_for(
            "the first clock to lead", lambda: _count(tmp_path / "first.log", "clock.tick"), [first]
        )
        second = subprocess.run(
            [sys.executable, "-m", "schedules"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=DEADLINE,
        )
        assert second.returncode == 3
        assert "clock not started: another clock" in second.stderr
        assert "Run exactly one clock per SQLite database" in second.stderr
        first.send_signal(signal.SIGKILL)
        first.wait()
        # Killed with -9, the first clock leaves no lock behind: a new one starts.
        third = _start_clock(env, tmp_path / "third.log")
        _wait_for(
            "a new clock to lead", lambda: _count(tmp_path / "third.log", "clock.tick"), [third]
        )
        _stop(third)
        assert third.returncode == 0
    finally:
        _stop(first)


def test_standby_takes_over_when_the_leader_is_killed_and_sends_each_once(
    twilio_app, fake_twilio, database_uri, tmp_path
):
    """Two clocks on PostgreSQL; the leader is killed with -9 mid-batch; the standby leads
    within two of its ticks and finishes the batch: every due reminder sent exactly once."""
    if not _postgres(database_uri):
        pytest.skip("PostgreSQL only (set TEST_DATABASE_URL): on SQLite one clock runs")
    count = 200
    fake_twilio.latency = 0.02
    env = clock_env(
        database_uri,
        fake_twilio.url,
        CLOCK_TICK_SECONDS="1",
        REMINDER_LEASE_SECONDS="2",  # the dead leader's claims are reconciled soon
        SEND_RATE_PER_SECOND="20",
        SEND_CONCURRENCY="4",
        QUIET_HOURS_START="00:00",  # whatever the hour in New York when this runs
        QUIET_HOURS_END="00:00",
    )
    logs = {name: tmp_path / f"{name}.log" for name in ("leader", "standby")}
    clocks: dict[str, subprocess.Popen] = {}
    try:
        _start_leader_and_standby(env, logs, clocks)
        with twilio_app.app_context():  # the batch, once both clocks are up
            _seed_due_reminders(count, now=_server_now())
            db.session.remove()
        _wait_for(
            "a quarter of the batch",
            lambda: len(fake_twilio.messages) >= count // 4,
            list(clocks.values()),
        )
        _only_the_leader_sends(twilio_app, clocks["leader"].pid)
        _kill_the_leader(clocks, logs)
        assert len(fake_twilio.messages) < count, "the batch finished before the kill"
        _wait_for("every reminder sent", lambda: _all_sent(twilio_app, count), [clocks["standby"]])
    finally:
        _stop(*clocks.values())
    _each_sent_and_recorded_once(twilio_app, fake_twilio.messages, count)


def _start_leader_and_standby(env: dict, logs: dict[str, Path], clocks: dict) -> None:
    clocks["leader"] = _start_clock(env, logs["leader"])
    _wait_for("a clock to lead", lambda: _count(logs["leader"], "clock.leader"), [*clocks.values()])
    clocks["standby"] = _start_clock(env, logs["standby"])
    _wait_for(
        "the second clock to stand by",
        lambda: _count(logs["standby"], "clock.standby"),
        [*clocks.values()],
    )


def _kill_the_leader(clocks: dict[str, subprocess.Popen], logs: dict[str, Path]) -> None:
    """kill -9 the leader; the standby leads by its second tick after (one more may have
    been under way at the kill)."""
    clocks["leader"].send_signal(signal.SIGKILL)
    clocks["leader"].wait()
    tries_before = _count(logs["standby"], "clock.standby")
    _wait_for(
        "the standby to take over",
        lambda: _count(logs["standby"], "clock.leader"),
        [clocks["standby"]],
    )
    assert _count(logs["standby"], "clock.standby") - tries_before <= 2, "took over too late"


def _only_the_leader_sends(app, leader_pid: int) -> None:  # noqa: ANN001
    """Every row claimed so far was claimed by the leader: one Pacer sets the rate."""
    with app.app_context():
        claimers = set(db.session.scalars(select(Reminder.claimed_by).distinct()))
        db.session.remove()
    assert {c.rsplit(":", 1)[1] for c in claimers if c} == {str(leader_pid)}


def _all_sent(app, count: int) -> bool:  # noqa: ANN001
    with app.app_context():
        sent = db.session.scalar(select(func.count()).where(Reminder.status == SENT))
        db.session.remove()
    return sent == count


def _each_sent_and_recorded_once(app, sent: list[dict], count: int) -> None:  # noqa: ANN001
    by_number = Counter(m["to"] for m in sent)
    assert len(by_number) == count, "a due reminder was not sent"
    assert max(by_number.values()) == 1, "a reminder was sent twice"
    with app.app_context():
        recorded = db.session.scalars(
            select(Message.twilio_sid).where(Message.reminder_id.is_not(None))
        )
        assert sorted(recorded) == sorted(m["sid"] for m in sent)
        db.session.remove()
