"""Many enrolments in a row on the console transport, as after restarts (issue 22): every
invented message id is unique across processes, so none hits the unique index."""

from __future__ import annotations

import io
import re

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import Message, Patient
from bot.sms.transport import ConsoleTransport

SID = re.compile(r"SM[0-9a-f]{32}")


def _restart_transport(app: Flask) -> ConsoleTransport:
    """A new process's transport: its own state, the same database."""
    fresh = ConsoleTransport(show_bodies=False)
    app.extensions["nextsteps.transport"] = fresh
    return fresh


def test_console_ids_have_twilios_shape_and_never_repeat() -> None:
    first, second = ConsoleTransport(False), ConsoleTransport(False)
    sids = [t.send("+16145550100", "hi").sid for t in (first, second, first, second)]
    assert all(SID.fullmatch(s) for s in sids)
    assert len(set(sids)) == 4  # two "processes" never reuse one another's ids


def test_fifty_web_enrolments_then_fifty_imported_across_restarts(
    app: Flask, staff_client: FlaskClient
) -> None:
    for i in range(50):
        if i % 10 == 0:
            _restart_transport(app)
        form = {"phone": f"+1614555{i:04d}", "timezone": "America/New_York", "language": "en"}
        form["scan_kind"] = "CT"
        resp = staff_client.post("/staff/patients/new", data=form)
        assert resp.status_code == 302, (i, resp.status_code)
    rows = "\n".join(f"+1312555{i:04d},P{i},America/Chicago,es" for i in range(50))
    _restart_transport(app)
    data = ("phone,name,timezone,language\n" + rows + "\n").encode()
    page = staff_client.post("/staff/import", data={"file": (io.BytesIO(data), "p.csv")})
    assert page.status_code == 200
    assert page.get_data(as_text=True).count("enrolled, opt-in text sent") == 50
    with app.app_context():
        assert db.session.scalar(select(func.count(Patient.id))) == 100
        invitations = db.session.scalars(select(Message).where(Message.topic == "opt_in")).all()
    assert len(invitations) == 100
    assert all(m.status == "queued" and SID.fullmatch(m.twilio_sid) for m in invitations)
