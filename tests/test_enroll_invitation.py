"""The opt-in invitation: saved with the enrolment, sent after it commits, retried by the
clock when Twilio refuses it for now, never sent twice (issue 22)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.extensions import db
from bot.models import Message, Patient
from bot.patients.enroll import enroll, send_invitation
from schedules.staff_texts import resend_due


def _invitations() -> list[Message]:
    return list(db.session.scalars(select(Message).where(Message.topic == "opt_in")))


def test_nothing_is_sent_for_an_enrolment_that_did_not_commit(twilio_app, fake_twilio, now):
    with twilio_app.app_context():
        done = enroll("+16145550123", language="en", now=now)
        assert done.invited and fake_twilio.messages == []  # queued, not sent
        db.session.rollback()  # the enrolment failed after enroll(): nothing stays
        assert db.session.scalars(select(Patient)).all() == [] and _invitations() == []
    assert fake_twilio.messages == []


def test_an_invitation_twilio_refuses_is_sent_once_by_the_clock(twilio_app, fake_twilio, now):
    fake_twilio.fail_next(3, status=503, code=None)
    with twilio_app.app_context():
        done = enroll("+16145550123", language="en", now=now)
        db.session.commit()
        assert send_invitation(done.invitation, now) == "retrying"
        later = now
        for _ in range(6):  # the clock's ticks, past each backoff
            later += timedelta(minutes=30)
            resend_due(later)
        (row,) = _invitations()
        assert row.status == "queued" and row.twilio_sid
        resend_due(later + timedelta(hours=2))  # sent: never again
    sent = [m for m in fake_twilio.messages if m["to"] == "+16145550123"]
    assert len(sent) == 1 and "YES" in sent[0]["body"]
