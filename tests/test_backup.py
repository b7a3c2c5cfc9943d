"""Backup and restore: a copy taken while texts keep arriving restores every patient,
consent event, scan, reminder and message, and a stopped number stays stopped."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select

from bot import create_app
from bot.extensions import db
from bot.models import STOPPED, ConsentEvent, Message, Patient, Reminder, Scan
from schedules.dispatcher import dispatch
from tests.conftest import Phone, fresh_database, inbound_form
from tests.reminder_helpers import make_patient, scan_at, utc

pytestmark = pytest.mark.usefixtures("now")

STOPPED_PHONE = "+16145550199"
TABLES = {
    Patient: ("phone", "status", "display_name", "timezone"),
    ConsentEvent: ("phone", "event", "source", "detail"),
    Scan: ("patient_id", "scheduled_at", "kind", "status"),
    Reminder: ("patient_id", "due_at", "status", "body", "twilio_sid"),
    Message: ("phone", "direction", "body", "topic", "status", "twilio_sid", "reply_to_id"),
}


def _rows(app: Flask) -> dict[str, dict[int, tuple]]:
    with app.app_context():
        return {
            model.__tablename__: {
                row.id: tuple(getattr(row, f) for f in fields)
                for row in db.session.scalars(select(model))
            }
            for model, fields in TABLES.items()
        }


def _clinic_with_history(app: Flask, client) -> None:  # noqa: ANN001
    """Active patients with scans and a sent reminder, and a number that texted STOP."""
    with app.app_context():
        for i in range(5):
            scan_at(make_patient(f"+1614555{i:04d}"), "2027-01-12 09:30", kind="PET")
        dispatch(now=utc("2027-01-05 15:01"))  # the 7-day reminders go out
        make_patient(STOPPED_PHONE)
        db.session.commit()
    assert "unsubscribed" in Phone(client, STOPPED_PHONE).text("STOP")


class Traffic(threading.Thread):
    """Signed texts from new numbers, one after another, until stopped (and at least
    `minimum` of them). No timeouts anywhere: the suite also runs under a frozen faketime."""

    def __init__(self, app: Flask) -> None:
        super().__init__()
        self.client, self.sent, self.minimum = app.test_client(), 0, 20
        self.stop, self.going = threading.Event(), threading.Event()
        self.error: BaseException | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set() or self.sent < self.minimum:
                number = f"+1312555{self.sent:04d}"
                resp = Phone(self.client, number).post(inbound_form("TRIALS", number))
                assert resp.status_code == 200, resp.data
                self.sent += 1
                if self.sent == 10:
                    self.going.set()
        except BaseException as exc:  # reported by the test, not lost in the thread
            self.error = exc
        finally:
            self.going.set()


@pytest.fixture
def restored(tmp_path: Path, app_config: dict):  # noqa: ANN201
    """An app on a new, empty database (SQLite file or PostgreSQL database)."""
    with fresh_database(tmp_path) as uri:
        app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": uri})
        yield app
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


def test_backup_taken_mid_traffic_restores_everything(
    twilio_app, client, runner, restored, tmp_path
):
    _clinic_with_history(twilio_app, client)
    before = _rows(twilio_app)
    traffic = Traffic(twilio_app)
    traffic.start()
    try:
        traffic.going.wait()  # the backup starts while texts are arriving
        result = runner.invoke(args=["backup", "create", str(tmp_path / "b")])
        during = traffic.sent
        traffic.minimum = during + 5  # and more come after it
    finally:
        traffic.stop.set()
        traffic.join()
    assert traffic.error is None and result.exit_code == 0, (traffic.error, result.output)
    assert traffic.sent >= during + 5 and during >= 10

    done = restored.test_cli_runner().invoke(args=["backup", "restore", str(tmp_path / "b")])
    assert done.exit_code == 0, done.output
    after, source = _rows(restored), _rows(twilio_app)
    for table, rows in before.items():  # nothing that existed before the backup is lost
        assert {k: after[table][k] for k in rows} == rows, table
    for table, rows in after.items():  # and what it holds is what the database held
        assert rows.items() <= source[table].items(), table
    inbound = {k for k, m in after["messages"].items() if m[1] == "inbound"}
    replies = {m[6] for m in after["messages"].values() if m[6]}
    assert inbound <= replies  # every text kept has its reply: one consistent moment
    assert len(inbound) >= 10 + 1  # the texts before the backup began, and the STOP

    # The stopped number is still stopped: it gets nothing back, and the proof is there.
    with restored.app_context():
        p = db.session.scalars(select(Patient).where(Patient.phone == STOPPED_PHONE)).one()
        assert p.status == STOPPED
    assert Phone(restored.test_client(), STOPPED_PHONE).text("TRIALS") is None


def test_restore_refuses_a_database_that_holds_records(app, runner, tmp_path):
    with app.app_context():
        make_patient("+16145550123")
        db.session.commit()
    assert runner.invoke(args=["backup", "create", str(tmp_path / "b")]).exit_code == 0
    with app.app_context():
        make_patient("+16145550124")
        db.session.commit()

    refused = runner.invoke(args=["backup", "restore", str(tmp_path / "b")])
    assert refused.exit_code == 1 and "not empty" in refused.output and "--force" in refused.output
    with app.app_context():  # untouched
        assert len(db.session.scalars(select(Patient)).all()) == 2

    forced = runner.invoke(args=["backup", "restore", "--force", str(tmp_path / "b")])
    assert forced.exit_code == 0, forced.output
    with app.app_context():
        assert [p.phone for p in db.session.scalars(select(Patient))] == ["+16145550123"]


def test_backup_never_overwrites_and_restore_checks_the_format(app, runner, tmp_path):
    (tmp_path / "old").write_text("precious")
    again = runner.invoke(args=["backup", "create", str(tmp_path / "old")])
    assert again.exit_code == 1 and "already exists" in again.output
    assert (tmp_path / "old").read_text() == "precious"

    wrong = runner.invoke(args=["backup", "restore", "--force", str(tmp_path / "old")])
    assert wrong.exit_code == 1 and "is not a" in wrong.output


def test_backup_file_is_readable_by_its_owner_only(app, runner, tmp_path):
    assert runner.invoke(args=["backup", "create", str(tmp_path / "b")]).exit_code == 0
    assert (tmp_path / "b").stat().st_mode & 0o077 == 0


def test_missing_postgresql_client_is_said_plainly(app, runner, tmp_path, monkeypatch):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("pg_dump is only used on PostgreSQL (TEST_DATABASE_URL)")
    monkeypatch.setenv("PATH", str(tmp_path))  # no pg_dump on it
    result = runner.invoke(args=["backup", "create", str(tmp_path / "b")])
    assert result.exit_code == 1
    assert "pg_dump is not installed" in result.output and "postgresql-client" in result.output
