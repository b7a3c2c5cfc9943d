"""No password and no message body in any log: every logger at DEBUG (ours, Flask,
Werkzeug, Flask-Limiter, SQLAlchemy's SQL echo, the twilio client) and stdout/stderr,
through a wrong and a right login, an inbound text (twice: a Twilio retry), an outbound
send through the real twilio client, and a failing SQL statement."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.extensions import db
from bot.logs import log_event
from bot.sms.outbound import send_text
from bot.sms.transport import make_transport
from bot.staff.accounts import create_staff
from tests.conftest import Phone

PASSWORD = "Zebra-Quince-4471-right"
WRONG = "Walrus-Yodel-9932-wrong"
INBOUND = "Xylophone marmalade: can I get hospice at home?"
OUTBOUND = "Quokka reminder 7731: your scan is on Tuesday"
# Loggers that set their own level; everything else inherits the root's.
NAMED = (
    "nextsteps",
    "sqlalchemy.engine",
    "werkzeug",
    "flask-limiter",
    "twilio",
    "twilio.http_client",
    "flask.app",
)


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))  # the message, its arguments, any traceback


@pytest.fixture
def all_logs() -> Iterator[_Keep]:
    """Every log record at every level (requested before `app`, so SQL echo is on)."""
    keep = _Keep()
    loggers = [logging.getLogger()] + [logging.getLogger(n) for n in NAMED]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.addHandler(keep)
    yield keep
    for lg, level in zip(loggers, levels, strict=True):
        lg.setLevel(level)
        lg.removeHandler(keep)


def _drive(app: Flask) -> str | None:
    with app.app_context():
        create_staff("nurse@clinic.example", PASSWORD)
        db.session.commit()
    client = app.test_client()
    for password in (WRONG, PASSWORD):
        client.post("/staff/login", data={"email": "nurse@clinic.example", "password": password})
    phone = Phone(app.test_client())
    reply = phone.text(INBOUND, sid="SM" + "7" * 32)
    phone.text(INBOUND, sid="SM" + "7" * 32)  # a retry: the duplicate path
    with app.app_context():
        send_text("+16145550123", OUTBOUND)
        db.session.commit()
        try:  # a failing statement: its message must not show the values bound to it
            db.session.execute(text("INSERT INTO no_such_table VALUES (:b)"), {"b": OUTBOUND})
        except SQLAlchemyError as exc:
            logging.getLogger("nextsteps").exception("expected failure: %s", exc)
        db.session.rollback()
    return reply


def test_no_password_or_body_in_any_log(
    all_logs: _Keep,
    twilio_app: Flask,
    fake_twilio,
    capfd: pytest.CaptureFixture,  # noqa: ANN001
) -> None:
    reply = _drive(twilio_app)
    logged = "\n".join(all_logs.lines) + "\n".join(capfd.readouterr())
    # The capture works: each step left its line, and SQL was echoed (values hidden).
    for seen in ("sms.inbound", "sms.sent", "INSERT INTO messages", "expected failure", "Twilio"):
        assert seen in logged, seen
    assert reply and fake_twilio.messages[-1]["body"] == OUTBOUND
    for secret in (PASSWORD, WRONG, INBOUND, OUTBOUND, reply, "Xylophone", "Quokka", "Zebra"):
        assert secret not in logged, f"{secret!r} is in a log"


def test_fields_that_could_hold_secrets_are_redacted(all_logs: _Keep) -> None:
    log_event("oops", body=INBOUND, password=PASSWORD, note="Called the patient", sid="SM1")
    line = all_logs.lines[-1]
    assert "sid=SM1" in line and "body=[redacted]" in line
    assert INBOUND not in line and PASSWORD not in line and "Called" not in line


def test_console_transport_keeps_bodies_out_of_stdout_in_production(
    capsys: pytest.CaptureFixture,
) -> None:
    make_transport({"PRODUCTION": True}).send("+16145550123", OUTBOUND)
    out = capsys.readouterr().out
    assert "***0123" in out and OUTBOUND not in out and "Quokka" not in out
    make_transport({}).send("+16145550123", OUTBOUND)  # development: shown, on purpose
    assert OUTBOUND in capsys.readouterr().out
