"""One odd provider reply never stops a tick: a repeated sid, a body that is not Twilio's
JSON, a timeout are each handled for that message alone and every other reminder goes
out. The real twilio client against the fake Twilio server (tests/fake_twilio.py)."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import CLAIMED, SENT, Message, Reminder
from schedules.dispatcher import dispatch
from tests.fake_twilio import GARBAGE
from tests.reminder_helpers import make_patient, scan_at, utc

pytestmark = pytest.mark.usefixtures("now")

COUNT = 16
# The 7-day reminders for a scan on Tue Jan 12 2027 09:30 New York are due 10:00 EST.
JUST_AFTER = utc("2027-01-05 15:01")


def _week_before() -> list[Reminder]:
    query = select(Reminder).where(Reminder.offset_days == 7).order_by(Reminder.id)
    return list(db.session.scalars(query.execution_options(populate_existing=True)))


@pytest.fixture
def due(app_config, request) -> None:  # noqa: ANN001
    """COUNT patients, each with a reminder due at 15:00; Twilio's timeout kept short."""
    app_config["TWILIO_TIMEOUT_SECONDS"] = 0.3
    app = request.getfixturevalue("twilio_app")
    with app.app_context():
        for i in range(COUNT):
            scan_at(make_patient(f"+1614555{i:04d}"), "2027-01-12 09:30")


def test_repeated_sids_garbage_and_a_timeout_stop_no_other_message(
    due, twilio_app, fake_twilio
) -> None:
    fake_twilio.repeat_sid_next(3)  # at least two replies carry a sid already given
    for kind in GARBAGE:  # created at Twilio, answered with something unreadable
        fake_twilio.garbage_next(1, kind=kind)
    # Held five times the client's timeout: a slow machine still sees a timeout.
    fake_twilio.hang_next(1, seconds=1.5, create=False)
    with twilio_app.app_context():
        stats = dispatch(now=JUST_AFTER)
        assert (stats.sent, stats.unknown) == (COUNT - len(GARBAGE) - 1, len(GARBAGE) + 1)
        rows = _week_before()
        assert Counter(r.status for r in rows) == {SENT: stats.sent, CLAIMED: stats.unknown}
        assert len(fake_twilio.messages) == COUNT - 1  # the timed-out one never arrived

        # Once the lease is over, Twilio is asked: the unreadable ones are found there,
        # the timed-out one is sent again.
        lease = twilio_app.config["REMINDER_LEASE_SECONDS"]
        stats = dispatch(now=JUST_AFTER + timedelta(seconds=lease + 5))
        assert (stats.reconciled, stats.resent, stats.sent) == (len(GARBAGE), 1, len(GARBAGE) + 1)

        sent = fake_twilio.messages
        assert sorted(m["to"] for m in sent) == sorted(f"+1614555{i:04d}" for i in range(COUNT))
        rows = _week_before()
        assert {r.status for r in rows} == {SENT}
        assert sorted(r.twilio_sid for r in rows) == sorted(m["sid"] for m in sent)
        _each_text_recorded_once(rows, sent)


def _each_text_recorded_once(rows: list[Reminder], sent: list[dict]) -> None:
    """One messages row per reminder; a sid Twilio gave twice is stored once (unique)."""
    repeated = {sid for sid, n in Counter(m["sid"] for m in sent).items() if n > 1}
    assert repeated, "the fake repeated no sid"
    recorded = db.session.scalars(select(Message).where(Message.reminder_id.is_not(None))).all()
    assert sorted(m.reminder_id for m in recorded) == sorted(r.id for r in rows)
    stored = Counter(m.twilio_sid for m in recorded)
    assert stored[None] == sum(n - 1 for n in Counter(m["sid"] for m in sent).values())
    assert all(stored[sid] == 1 for sid in repeated)
    noted = [r for r in rows if r.note and "already recorded" in r.note]
    assert len(noted) == stored[None]
