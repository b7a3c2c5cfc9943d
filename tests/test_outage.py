"""The database goes away mid-run (PostgreSQL behind a proxy that is stopped; SQLite's
directory moved away) and comes back: texts are answered from memory and spooled, then
replayed once each, in order, with their opt-outs, before any reminder goes out."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, make_url, select

from bot import create_app
from bot.extensions import db
from bot.models import ConsentEvent, Message, Patient
from schedules.clock import tick
from tests.conftest import Phone, inbound_form
from tests.reminder_helpers import make_patient, scan_at, utc
from tests.tcp_proxy import TcpProxy

A, B = "+16145550001", "+16145550002"


class Outage:
    """Takes the app's database away and brings it back, without touching our code."""

    def __init__(self, proxy: TcpProxy | None = None, folder: Path | None = None) -> None:
        self.proxy, self.folder = proxy, folder

    def down(self, app: Flask) -> None:
        if self.proxy:
            self.proxy.stop()
            return
        with app.app_context():
            db.engine.dispose()  # SQLite keeps files open: closed, as after a restart
        self.folder.rename(self.folder.with_name("gone"))

    def up(self) -> None:
        if self.proxy:
            self.proxy.start()
        else:
            self.folder.with_name("gone").rename(self.folder)


def _sqlite_copy(database_uri: str, folder: Path) -> str:
    """A migrated SQLite database of this test's own, in a folder that can be moved."""
    folder.mkdir()
    target = folder / "outage.sqlite3"
    shutil.copy(make_url(database_uri).database, target)
    return f"sqlite:///{target}"


@pytest.fixture
def outage(app_config: dict, database_uri: str, tmp_path: Path) -> Iterator[Outage]:
    url = make_url(database_uri)
    if url.get_backend_name() == "postgresql":
        proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
        app_config["SQLALCHEMY_DATABASE_URI"] = url.set(
            host="127.0.0.1", port=proxy.port
        ).render_as_string(hide_password=False)
        yield Outage(proxy=proxy)
        proxy.stop()
    else:
        folder = tmp_path / "dbdir"
        app_config["SQLALCHEMY_DATABASE_URI"] = _sqlite_copy(database_uri, folder)
        yield Outage(folder=folder)


def _count(model, *where) -> int:  # noqa: ANN001
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_outage_replies_then_replays_stop_before_any_reminder(
    outage: Outage, fake_twilio, request: pytest.FixtureRequest, now
) -> None:
    app = request.getfixturevalue("twilio_app")
    with app.app_context():
        for number in (A, B):
            scan_at(make_patient(number), "2027-01-12 09:30")  # reminder due 2027-01-05 15:00
    client = app.test_client()
    a, b = Phone(client, A), Phone(client, B)

    outage.down(app)
    stop_sid = "SM" + "1" * 32
    assert "unsubscribed" in a.text("STOP", sid=stop_sid)
    assert "unsubscribed" in a.text("STOP", sid=stop_sid)  # Twilio's retry: same answer
    assert "911" in b.text("I can't breathe and my chest hurts")
    assert "comfortable" in b.text("HOSPICE")
    health = client.get("/healthz").get_json()
    assert health["status"] == "degraded" and health["spool_waiting"] == 3

    outage.up()
    with app.app_context():
        tick(now=utc("2027-01-05 15:05"))  # the clock replays the spool, then dispatches
        assert [m["to"] for m in fake_twilio.messages] == [B]  # none to the opted-out A
        assert db.session.scalar(select(Patient.status).where(Patient.phone == A)) == "stopped"
        assert _count(Message, Message.direction == "inbound") == 3  # each text once
        assert _count(Message, Message.twilio_sid == stop_sid) == 1
        assert _count(Message, Message.reply_to_id.is_not(None)) == 3  # the replies we sent
        assert _count(ConsentEvent) == 1
        flagged = db.session.scalar(select(Message.flag).where(Message.body.like("I can't%")))
        assert flagged  # the urgent text is in the staff inbox after replay
    assert client.get("/healthz").get_json()["status"] == "ok"


def test_replay_keeps_arrival_order_per_number(outage: Outage, app: Flask) -> None:
    client = app.test_client()
    a, b = Phone(client, A), Phone(client, B)
    with app.app_context():
        make_patient(A)
        db.session.commit()
    outage.down(app)
    a.text("STOP")
    a.text("START")  # order matters: replayed the other way round A would stay stopped
    outage.up()
    assert b.text("TRIALS")  # a request never replays (that is the clock's work)...
    assert client.get("/healthz").get_json()["spool_waiting"] == 2
    assert "replayed 2 text(s)" in app.test_cli_runner().invoke(args=["spool", "replay"]).output
    with app.app_context():
        assert db.session.scalar(select(Patient.status).where(Patient.phone == A)) == "active"
        kinds = db.session.scalars(select(ConsentEvent.event).order_by(ConsentEvent.id)).all()
        assert kinds == ["opt_out", "opt_in"]
        assert _count(Message, Message.direction == "inbound") == 3
    assert client.get("/healthz").get_json()["spool_waiting"] == 0


@pytest.mark.parametrize(
    "spooled,live,final", [("START", "STOP", "stopped"), ("STOP", "START", "active")]
)
def test_an_older_spooled_text_never_undoes_a_newer_decision(
    outage: Outage, app: Flask, spooled: str, live: str, final: str
) -> None:
    """The spooled text arrived first: replayed after the live one, it is history, not
    the patient's last word (consent follows arrival, not processing)."""
    client = app.test_client()
    a = Phone(client, A)
    with app.app_context():
        make_patient(A, status="stopped" if spooled == "START" else "active")
        db.session.commit()
    outage.down(app)
    a.text(spooled)
    outage.up()
    a.text(live)
    assert "replayed 1 text(s)" in app.test_cli_runner().invoke(args=["spool", "replay"]).output
    with app.app_context():
        assert db.session.scalar(select(Patient.status).where(Patient.phone == A)) == final
        events = db.session.execute(
            select(ConsentEvent.event, ConsentEvent.detail).order_by(ConsentEvent.created_at)
        ).all()
        assert "superseded" in events[0].detail and "superseded" not in events[-1].detail
        assert _count(Message, Message.direction == "inbound") == 2


def test_flask_spool_status_and_replay(outage: Outage, app: Flask) -> None:
    client, runner = app.test_client(), app.test_cli_runner()
    outage.down(app)
    Phone(client, A).text("HELP")
    failed = runner.invoke(args=["spool", "replay"])
    assert failed.exit_code != 0 and "database unreachable" in failed.output
    outage.up()
    status = runner.invoke(args=["spool", "status"])
    assert "1 text(s) waiting" in status.output and A not in status.output
    assert "replayed 1 text(s)" in runner.invoke(args=["spool", "replay"]).output
    assert "replayed 0 text(s)" in runner.invoke(args=["spool", "replay"]).output
    assert "0 text(s) waiting" in runner.invoke(args=["spool", "status"]).output
    with app.app_context():
        assert _count(Message, Message.direction == "inbound") == 1


def test_unwritable_spool_answers_503_and_stores_nothing(app_config: dict, tmp_path) -> None:
    (tmp_path / "a-file").write_text("")
    app_config["SPOOL_DIR"] = str(tmp_path / "a-file" / "spool")  # can never be a folder
    app = create_app(app_config)
    form = inbound_form("STOP")
    resp = Phone(app.test_client()).post(form)
    assert resp.status_code == 503
    with app.app_context():
        assert _count(Message, Message.twilio_sid == form["MessageSid"]) == 0


def test_full_spool_answers_503(app_config: dict, outage: Outage) -> None:
    app_config["SPOOL_MAX_BYTES"] = 4096
    app = create_app(app_config)
    phone = Phone(app.test_client())
    outage.down(app)
    statuses = [phone.post(inbound_form("x" * 500)).status_code for _ in range(12)]
    outage.up()
    assert statuses[0] == 200 and statuses[-1] == 503
    assert len(os.listdir(app_config["SPOOL_DIR"])) >= 1
    health = app.test_client().get("/healthz").get_json()  # a text was refused: never ok
    assert health["status"] != "ok" and health["spool"].startswith("refused a text")


def test_a_short_write_is_never_taken_for_a_kept_stop(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A nearly full disk takes half the line, then nothing: the STOP is refused (503,
    Twilio retries it), never acknowledged half written."""
    import bot.sms.spool as spool_module

    real, calls = os.pwrite, []

    def disk_nearly_full(fd: int, data, offset: int) -> int:  # noqa: ANN001
        calls.append(len(data))
        if len(calls) == 1:
            return real(fd, bytes(data)[: len(data) // 2], offset)
        raise OSError(28, "No space left on device")

    spool = app.extensions["nextsteps.spool"]
    spool.append("SM" + "0" * 32, A, "warm-up", "2027-01-01T12:00:00")  # file allocated
    monkeypatch.setattr(spool_module.os, "pwrite", disk_nearly_full)
    resp = Phone(app.test_client(), A).post(inbound_form("STOP", A))
    monkeypatch.setattr(spool_module.os, "pwrite", real)
    assert resp.status_code == 503 and len(calls) == 2
    with app.app_context():
        assert _count(Message) == 0  # not answered as if kept
    assert app.test_client().get("/healthz").get_json()["status"] != "ok"


def test_an_entry_the_inbound_path_cannot_take_is_set_aside_not_blocking(app: Flask) -> None:
    spool = app.extensions["nextsteps.spool"]
    spool.append("SM" + "7" * 32, A, "STOP", "not a time")  # cannot be handled, ever
    spool.append("SM" + "8" * 32, B, "STOP", "2027-01-01T12:00:00")
    assert "replayed 2 text(s)" in app.test_cli_runner().invoke(args=["spool", "replay"]).output
    with app.app_context():
        assert db.session.scalar(select(Patient.status).where(Patient.phone == B)) == "stopped"
    failed = (spool.directory / "failed.jsonl").read_text()
    assert "7" * 32 in failed and spool.waiting() == 0
