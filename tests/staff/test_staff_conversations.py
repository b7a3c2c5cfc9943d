"""Staff write to a patient: the text goes through the real twilio client to the fake
Twilio (with the status callback), shows in the thread and the audit log (ids only), the
patient's answer (a signed webhook) threads after it; refusals, warnings, retries."""

from __future__ import annotations

import html
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.extensions import db
from bot.models import ACTIVE, AuditEntry, Message, Patient
from bot.staff.accounts import create_staff
from schedules.clock import tick
from tests.conftest import Phone, inbound_form

from .helpers import PASSWORD, STAFF_EMAIL, login, page_text

BASE = "https://nextsteps.example.org"
PHONE = "+16145550123"


@pytest.fixture
def afternoon(now: datetime, time_machine) -> datetime:  # noqa: ANN001
    """13:00 in New York: not quiet hours."""
    at = now + timedelta(hours=6)
    time_machine.move_to(at.isoformat() + "+00:00", tick=False)
    return at


@pytest.fixture
def setup(app_config: dict, request: pytest.FixtureRequest) -> tuple:
    """An app sending through the fake Twilio, an active patient, a logged-in nurse."""
    app_config["PUBLIC_BASE_URL"] = BASE
    app_config["TWILIO_TIMEOUT_SECONDS"] = 0.5
    app = request.getfixturevalue("twilio_app")
    with app.app_context():
        patient = Patient(phone=PHONE, display_name="R.T.", status=ACTIVE)
        db.session.add(patient)
        create_staff(STAFF_EMAIL, PASSWORD)
        db.session.commit()
        pid = patient.id
    client = app.test_client()
    assert login(client, STAFF_EMAIL).status_code == 302
    return app, client, pid


def _send(client: FlaskClient, pid: int, body: str, **extra: str):  # noqa: ANN202
    return client.post(
        f"/staff/patients/{pid}/texts", data={"body": body, **extra}, follow_redirects=True
    )


def _staff_texts(app: Flask) -> list[Message]:
    with app.app_context():
        return list(db.session.scalars(select(Message).where(Message.topic == "staff")))


def _signed(app: Flask, form: dict, path: str):  # noqa: ANN202
    return Phone(app.test_client(), PHONE).post(form, path=path, url=BASE + path)


def test_text_goes_out_like_a_reminder_and_the_answer_threads_after_it(
    afternoon: datetime, setup: tuple, fake_twilio
) -> None:
    app, client, pid = setup
    page = page_text(_send(client, pid, "Hello R.T., how are you feeling today?"))
    assert "Sent. Delivery updates show in the thread." in page

    (sent,) = fake_twilio.messages
    assert sent["to"] == PHONE and sent["body"] == "Hello R.T., how are you feeling today?"
    assert sent["_status_callback"] == BASE + "/sms/status"
    (msg,) = _staff_texts(app)
    assert (msg.twilio_sid, msg.status, msg.sent_by) == (sent["sid"], "queued", STAFF_EMAIL)

    with app.app_context():
        (entry,) = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "text.send"))
        assert (entry.target, entry.detail) == (f"patient:{pid}", f"message:{msg.id}")
        details = " ".join(db.session.scalars(select(AuditEntry.detail)))
        assert "feeling" not in details and PHONE not in details

    status = {
        "MessageSid": sent["sid"],
        "MessageStatus": "delivered",
        "AccountSid": "AC" + "0" * 32,
    }
    assert _signed(app, status, "/sms/status").status_code == 204
    answer = _signed(app, inbound_form("much better today, thank you", PHONE), "/sms")
    assert answer.status_code == 200

    thread = page_text(client.get(f"/staff/patients/{pid}"))
    thread = thread[thread.index('id="messages"') :]
    assert f"Staff ({STAFF_EMAIL})" in thread and "delivered" in thread
    assert thread.index("how are you feeling") < thread.index("much better today")
    # The answer is a nurse's to read: it waits in the inbox, like a flag.
    inbox = page_text(client.get("/staff/inbox"))
    assert "much better today" in inbox and "reply to staff" in inbox


def test_only_an_answer_soon_after_a_staff_text_goes_to_the_inbox(
    afternoon: datetime, setup: tuple, fake_twilio, time_machine
) -> None:
    app, client, pid = setup
    _send(client, pid, "How are you today?")
    time_machine.move_to((afternoon + timedelta(hours=25)).isoformat() + "+00:00", tick=False)
    _signed(app, inbound_form("fine thanks", PHONE), "/sms")
    with app.app_context():
        flags = db.session.scalars(select(Message.flag).where(Message.direction == "inbound"))
        assert list(flags) == [None]


def test_a_stopped_number_is_refused(afternoon: datetime, setup: tuple, fake_twilio) -> None:
    app, client, pid = setup
    _signed(app, inbound_form("STOP", PHONE), "/sms")
    page = page_text(_send(client, pid, "Are you there?"))
    assert "Texts can't be sent: this number has opted out" in page
    assert fake_twilio.messages == [] and _staff_texts(app) == []
    # The page offers no box to type in, only the reason.
    assert 'id="refused-patient"' in page and 'id="text-patient"' not in page


def test_an_erased_record_is_refused(afternoon: datetime, setup: tuple, fake_twilio) -> None:
    app, client, pid = setup
    with app.app_context():
        from bot.patients.lifecycle import erase

        erase(db.session.get(Patient, pid))
        db.session.commit()
    page = page_text(_send(client, pid, "Are you there?"))
    assert "This patient's record was erased: no text can be sent" in page
    assert fake_twilio.messages == [] and _staff_texts(app) == []


def test_quiet_hours_warn_and_need_a_confirmation(now: datetime, setup: tuple, fake_twilio) -> None:
    app, client, pid = setup  # NOW is 07:00 in New York
    assert "in quiet hours" in page_text(client.get(f"/staff/patients/{pid}"))
    page = page_text(_send(client, pid, "Your results are in, call us"))
    assert "Send this text anyway?" in page and "It is 07:00 for the patient" in page
    assert fake_twilio.messages == [] and _staff_texts(app) == []

    page = page_text(_send(client, pid, "Your results are in, call us", confirmed="y"))
    assert "Sent." in page and len(fake_twilio.messages) == 1
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "text.send")).one()
        assert entry.detail.endswith(" confirmed")


def test_length_and_cost_are_checked_on_the_server(
    afternoon: datetime, setup: tuple, fake_twilio
) -> None:
    app, client, pid = setup
    page = page_text(_send(client, pid, "x" * 307))
    assert "Not sent: 3 segments is too long; keep it to 2" in page
    page = page_text(_send(client, pid, "We’ll call you"))
    assert "’ is not plain SMS characters" in html.unescape(page)
    assert "Send this text anyway?" in page
    assert fake_twilio.messages == []


def test_twilio_busy_then_the_clock_sends_it_again(
    afternoon: datetime, setup: tuple, fake_twilio
) -> None:
    app, client, pid = setup
    fake_twilio.fail_next(1, status=429, code=20429)
    page = page_text(_send(client, pid, "Please call the clinic"))
    assert "it will be sent again automatically" in page
    assert [m.status for m in _staff_texts(app)] == ["retrying"]

    with app.app_context():
        tick(afternoon + timedelta(seconds=10))  # backoff not over: nothing yet
        assert fake_twilio.messages == []
        tick(afternoon + timedelta(minutes=1))
    (sent,) = fake_twilio.messages
    (msg,) = _staff_texts(app)
    assert (msg.status, msg.twilio_sid, msg.attempts) == ("queued", sent["sid"], 2)
    assert "queued" in page_text(client.get(f"/staff/patients/{pid}"))


def test_no_answer_is_checked_at_twilio_before_sending_again(
    afternoon: datetime, setup: tuple, fake_twilio
) -> None:
    app, client, pid = setup
    fake_twilio.hang_next(1, seconds=1.0, create=True)  # Twilio has it; we never hear
    _send(client, pid, "Please call the clinic")
    assert [m.status for m in _staff_texts(app)] == ["unknown"]
    with app.app_context():
        tick(afternoon + timedelta(minutes=5))  # past REMINDER_LEASE_SECONDS
    (sent,) = fake_twilio.messages  # found there: not sent twice
    (msg,) = _staff_texts(app)
    assert msg.twilio_sid == sent["sid"] and msg.status == "sent"


def test_opted_out_at_twilio_stops_the_patient(
    afternoon: datetime, setup: tuple, fake_twilio
) -> None:
    app, client, pid = setup
    fake_twilio.fail_next(1, status=400, code=21610)
    page = page_text(_send(client, pid, "Please call the clinic"))
    assert "could not be sent" in page
    with app.app_context():
        assert db.session.get(Patient, pid).status == "stopped"
    assert [m.status for m in _staff_texts(app)] == ["failed"]


def test_flags_waiting_too_long_stand_out(
    now: datetime, app: Flask, staff_client: FlaskClient
) -> None:
    with app.app_context():
        patient = Patient(phone=PHONE, display_name="R.T.", status=ACTIVE)
        db.session.add(patient)
        db.session.flush()
        for hours, body in ((5, "cannot keep anything down"), (1, "fever tonight")):
            db.session.add(
                Message(
                    direction="inbound",
                    phone=PHONE,
                    patient_id=patient.id,
                    body=body,
                    status="received",
                    flag="urgent",
                    created_at=now - timedelta(hours=hours),
                )
            )
        db.session.commit()
    page = page_text(staff_client.get("/staff/inbox"))
    assert "1 flagged text waiting more than 4 hours." in page
    assert page.count("Waiting 5 h") == 1 and "Waiting 1 h" not in page
    # Each card can answer by text, with the patient named on the box.
    assert page.count("Reply by text") == 2 and "Text to R.T." in page
