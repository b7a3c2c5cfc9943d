"""The dispatcher sends due reminders through the real twilio client to a fake Twilio
server on loopback, and handles what Twilio answers."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import (
    CANCELLED,
    CLAIMED,
    FAILED,
    PAUSED,
    PLANNED,
    SENT,
    SKIPPED,
    STOPPED,
    ConsentEvent,
    Message,
    Patient,
    Reminder,
)
from schedules.clock import tick
from schedules.dispatcher import dispatch
from schedules.pacer import Pacer
from tests.conftest import FROM_NUMBER
from tests.reminder_helpers import make_patient, reminders, scan_at, utc

# Every date below is a fixed calendar date after NOW (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("now")

PHONE = "+16145550123"
# The 7-day reminder for a scan on Tue Jan 12 2027 09:30 New York is due 10:00 EST.
DUE = utc("2027-01-05 15:00")
JUST_AFTER = DUE + timedelta(minutes=1)


@pytest.fixture
def planned(twilio_app):
    """One active patient with a scan planned: two reminders, the first due at DUE."""
    with twilio_app.app_context():
        patient = make_patient(PHONE)
        scan_at(patient, "2027-01-12 09:30", kind="PET")
        return patient.id


def _patient(pid: int) -> Patient:
    return db.session.get(Patient, pid)


def test_due_reminder_is_sent_once_and_recorded(app_config, request, fake_twilio):
    app_config["PUBLIC_BASE_URL"] = "https://nextsteps.example.org"
    app = request.getfixturevalue("twilio_app")
    pid = request.getfixturevalue("planned")
    with app.app_context():
        first = reminders(_patient(pid))[0]
        planned_body = first.body
        stats = dispatch(now=JUST_AFTER)
        assert stats.sent == 1

        (sent,) = fake_twilio.messages
        assert sent["to"] == PHONE and sent["from"] == FROM_NUMBER
        assert sent["body"] == planned_body  # exactly what preview showed
        assert sent["_status_callback"] == "https://nextsteps.example.org/sms/status"

        db.session.expire_all()
        first = reminders(_patient(pid))[0]
        assert first.status == SENT and first.twilio_sid == sent["sid"]
        msg = db.session.scalars(select(Message).where(Message.reminder_id == first.id)).one()
        assert (msg.direction, msg.twilio_sid, msg.body) == ("outbound", sent["sid"], sent["body"])
        assert msg.status == "queued" and msg.topic == "reminder"

        # Nothing more is due: a second tick sends nothing.
        dispatch(now=JUST_AFTER + timedelta(minutes=1))
        assert len(fake_twilio.messages) == 1

        # The next reminder asks different questions.
        dispatch(now=utc("2027-01-11 15:01"))
        second = fake_twilio.messages[1]["body"]
        assert second.split("Ask: ")[1] != sent["body"].split("Ask: ")[1]


def test_stop_between_planning_and_sending_sends_nothing(planned, twilio_app, phone, fake_twilio):
    assert "unsubscribed" in phone.text("STOP")
    with twilio_app.app_context():
        dispatch(now=JUST_AFTER)
        assert fake_twilio.messages == []
        assert {r.status for r in reminders(_patient(planned))} == {CANCELLED}


def test_rechecked_just_before_sending(planned, twilio_app, fake_twilio):
    """Changes made without a replan (a paused patient, a cancelled scan) still stop it."""
    with twilio_app.app_context():
        _patient(planned).status = PAUSED
        db.session.commit()
        dispatch(now=JUST_AFTER)
        assert fake_twilio.messages == []
        assert reminders(_patient(planned))[0].note == "patient is paused"

        patient = _patient(planned)
        patient.status = "active"
        patient.scans[0].status = CANCELLED
        db.session.commit()
        dispatch(now=utc("2027-01-11 15:01"))
        assert fake_twilio.messages == []
        assert reminders(_patient(planned))[1].note == "scan no longer scheduled"


def test_text_is_recomposed_at_send(planned, twilio_app, fake_twilio):
    with twilio_app.app_context():
        _patient(planned).discreet = True  # set after planning, no replan
        db.session.commit()
        dispatch(now=JUST_AFTER)
        (sent,) = fake_twilio.messages
        assert "scan" not in sent["body"].lower() and "visit Tue Jan 12" in sent["body"]


@pytest.mark.parametrize(
    ("status", "code"), [(429, 20429), (500, 20500), (400, 21611), (400, 30003)]
)
def test_transient_failure_retries_with_backoff(planned, twilio_app, fake_twilio, status, code):
    fake_twilio.fail_next(2, status=status, code=code)
    with twilio_app.app_context():
        assert dispatch(now=JUST_AFTER).retried == 1
        row = reminders(_patient(planned))[0]
        assert (row.status, row.attempts, row.error_code) == (PLANNED, 1, code)
        # 30 s after the attempt (the clock stands still at NOW: exact).
        assert row.next_attempt_at == JUST_AFTER + timedelta(seconds=30)

        dispatch(now=JUST_AFTER + timedelta(seconds=20))  # too soon: left alone
        assert reminders(_patient(planned))[0].attempts == 1

        dispatch(now=JUST_AFTER + timedelta(seconds=31))
        row = reminders(_patient(planned))[0]
        assert row.attempts == 2
        assert row.next_attempt_at == JUST_AFTER + timedelta(seconds=31 + 60)

        dispatch(now=JUST_AFTER + timedelta(seconds=100))
        assert reminders(_patient(planned))[0].status == SENT
        assert len(fake_twilio.messages) == 1


def test_gives_up_after_max_attempts(app_config, request, fake_twilio):
    app_config["SEND_MAX_ATTEMPTS"] = 2
    app = request.getfixturevalue("twilio_app")
    pid = request.getfixturevalue("planned")
    fake_twilio.fail_next(5, status=503, code=None)
    with app.app_context():
        dispatch(now=JUST_AFTER)
        dispatch(now=JUST_AFTER + timedelta(minutes=1))
        row = reminders(_patient(pid))[0]
        assert (row.status, row.attempts) == (FAILED, 2)
        msg = db.session.scalars(select(Message).where(Message.reminder_id == row.id)).one()
        assert msg.status == "failed"


def test_opted_out_at_twilio_stops_the_patient(planned, twilio_app, fake_twilio):
    fake_twilio.fail_number(PHONE, status=400, code=21610)
    with twilio_app.app_context():
        dispatch(now=JUST_AFTER)
        patient = _patient(planned)
        assert patient.status == STOPPED
        first, second = reminders(patient)
        assert (first.status, first.error_code) == (FAILED, 21610)
        assert second.status == CANCELLED
        event = db.session.scalars(select(ConsentEvent)).one()
        assert (event.event, event.source) == ("opt_out", "twilio")


def test_bad_number_is_flagged_for_staff(planned, twilio_app, fake_twilio):
    fake_twilio.fail_number(PHONE, status=400, code=21211)
    with twilio_app.app_context():
        dispatch(now=JUST_AFTER)
        patient = _patient(planned)
        assert patient.flag_reason == "Twilio error 21211: number cannot get texts"
        assert reminders(patient)[0].status == FAILED
        assert fake_twilio.messages == []


@pytest.mark.parametrize("twilio_created_it", [True, False])
def test_no_answer_is_checked_with_twilio_before_any_resend(
    app_config, request, fake_twilio, twilio_created_it
):
    app_config["TWILIO_TIMEOUT_SECONDS"] = 0.3
    app = request.getfixturevalue("twilio_app")
    pid = request.getfixturevalue("planned")
    # Hangs five times the client's timeout: a slow machine still sees a timeout.
    fake_twilio.hang_next(1, seconds=1.5, create=twilio_created_it)
    with app.app_context():
        assert dispatch(now=JUST_AFTER).unknown == 1
        assert reminders(_patient(pid))[0].status == CLAIMED

        dispatch(now=JUST_AFTER + timedelta(seconds=60))  # lease not over: wait
        assert reminders(_patient(pid))[0].status == CLAIMED

        after_lease = JUST_AFTER + timedelta(seconds=app.config["REMINDER_LEASE_SECONDS"] + 5)
        stats = dispatch(now=after_lease)
        assert (stats.reconciled, stats.resent) == ((1, 0) if twilio_created_it else (0, 1))
        (sent,) = fake_twilio.messages  # exactly one text either way
        row = reminders(_patient(pid))[0]
        assert row.status == SENT and row.twilio_sid == sent["sid"]
        assert db.session.scalars(select(Message).where(Message.reminder_id == row.id)).one()


def test_late_or_quiet_reminders_are_skipped_not_sent(app_config, request, fake_twilio):
    app_config["REMINDER_LOCAL_TIME"] = "19:50"
    app = request.getfixturevalue("twilio_app")
    pid = request.getfixturevalue("planned")
    with app.app_context():
        first, second = reminders(_patient(pid))
        # 20:05 New York: within the grace period, but quiet hours have begun.
        dispatch(now=first.due_at + timedelta(minutes=15))
        # The clock was down for three hours: its next tick skips the reminder.
        tick(now=second.due_at + timedelta(hours=3))
        assert fake_twilio.messages == []
        first, second = reminders(_patient(pid))
        assert (first.status, first.note) == (SKIPPED, "missed: would have arrived in quiet hours")
        assert second.status == SKIPPED and second.note.startswith("missed: not sent within")


def test_two_dispatchers_at_once_send_each_reminder_once(twilio_app, fake_twilio):
    fake_twilio.latency = 0.02
    with twilio_app.app_context():
        for i in range(30):
            scan_at(make_patient(f"+1614555{i:04d}"), "2027-01-12 09:30")

    def run() -> None:
        with twilio_app.app_context():
            dispatch(now=JUST_AFTER)
            db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sent_to = [m["to"] for m in fake_twilio.messages]
    assert len(sent_to) == 30 and len(set(sent_to)) == 30
    with twilio_app.app_context():
        statuses = db.session.scalars(select(Reminder.status).where(Reminder.offset_days == 7))
        assert set(statuses) == {SENT}


def test_pacer_spaces_sends_evenly_without_bursts():
    now = [100.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))

    pacer = Pacer(5, clock=lambda: now[0], sleep=sleep)
    for _ in range(4):
        pacer.wait()
    assert slept == [0.2, 0.4, 0.6]  # slots at 0, 0.2, 0.4, 0.6 s
    now[0] += 10  # idle for a while: no saved-up burst, the next goes at once
    slept.clear()
    pacer.wait()
    pacer.wait()
    assert slept == [0.2]


def test_text_still_queued_at_twilio_when_the_lease_ends_is_not_sent_again(
    app_config, request, fake_twilio
):
    """Twilio created the text but has not sent it yet (a busy sender's queue): it has no
    send date, and reconcile must still find it rather than send a second one."""
    app_config["TWILIO_TIMEOUT_SECONDS"] = 0.3
    app = request.getfixturevalue("twilio_app")
    pid = request.getfixturevalue("planned")
    fake_twilio.hang_next(1, seconds=1.5, create=True)
    fake_twilio.stay_queued_next(1)
    with app.app_context():
        assert dispatch(now=JUST_AFTER).unknown == 1
        after_lease = JUST_AFTER + timedelta(seconds=app.config["REMINDER_LEASE_SECONDS"] + 5)
        stats = dispatch(now=after_lease)
        assert (stats.reconciled, stats.resent) == (1, 0)
        (queued,) = fake_twilio.messages  # one text, never a second
        assert queued["status"] == "queued" and queued["date_sent"] is None
        row = reminders(_patient(pid))[0]
        assert row.status == SENT and row.twilio_sid == queued["sid"]


def _undelivered(phone, sid: str, code: str = "30003"):  # noqa: ANN001, ANN202
    """Twilio's signed delivery report: the text could not reach the handset."""
    from urllib.parse import parse_qsl

    from tests.conftest import DATA

    form = dict(parse_qsl((DATA / "twilio" / "status-callback.form").read_text().strip()))
    form.update(MessageSid=sid, SmsSid=sid, MessageStatus="undelivered", SmsStatus="undelivered")
    form.update(ErrorCode=code, To=PHONE)
    return phone.post(form, path="/sms/status")


def test_unreachable_handset_is_retried_within_the_attempt_limit(app_config, request, fake_twilio):
    """30003 (phone off or out of coverage) may succeed later: the reminder goes out again
    after the backoff, the patient is not flagged, and /metrics counts one text."""
    app_config["SEND_MAX_ATTEMPTS"] = 2
    app = request.getfixturevalue("twilio_app")
    pid = request.getfixturevalue("planned")
    phone = request.getfixturevalue("phone")
    with app.app_context():
        dispatch(now=JUST_AFTER)
    first_sid = fake_twilio.messages[0]["sid"]
    assert _undelivered(phone, first_sid).status_code == 204
    assert _undelivered(phone, first_sid).status_code == 204  # Twilio retried the report
    with app.app_context():
        row = reminders(_patient(pid))[0]
        assert (row.status, row.error_code) == (PLANNED, 30003)
        assert row.next_attempt_at == utc("2027-01-01 12:00") + timedelta(seconds=30)
        assert _patient(pid).flag_reason is None
        dispatch(now=JUST_AFTER + timedelta(minutes=5))
    second_sid = fake_twilio.messages[1]["sid"]
    assert len(fake_twilio.messages) == 2
    metrics = app.test_client().get("/metrics").text.splitlines()
    outbound = [ln for ln in metrics if ln.startswith("nextsteps_outbound_texts{")]
    assert outbound == ['nextsteps_outbound_texts{status="queued"} 1.0']  # one text
    assert 'nextsteps_twilio_errors{code="30003"} 1.0' in metrics

    # Undelivered again, and out of attempts: failed, nothing more is sent.
    assert _undelivered(phone, second_sid).status_code == 204
    with app.app_context():
        row = reminders(_patient(pid))[0]
        assert row.status == FAILED and "undelivered (error 30003) after 2" in row.note
        dispatch(now=JUST_AFTER + timedelta(minutes=30))
    assert len(fake_twilio.messages) == 2


def test_metrics_count_a_retried_reminder_once(planned, twilio_app, fake_twilio):
    fake_twilio.fail_next(2, status=503, code=None)
    with twilio_app.app_context():
        for minutes in (0, 1, 5):
            dispatch(now=JUST_AFTER + timedelta(minutes=minutes))
        assert reminders(_patient(planned))[0].status == SENT
    lines = [
        ln
        for ln in twilio_app.test_client().get("/metrics").text.splitlines()
        if ln.startswith("nextsteps_outbound_texts{")
    ]
    assert lines == ['nextsteps_outbound_texts{status="queued"} 1.0']
