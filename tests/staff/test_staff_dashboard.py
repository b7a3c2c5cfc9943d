"""/staff/dashboard from real rows: texts through the signed webhook, reminders sent by the
dispatcher to the fake Twilio (one delivered by a signed status callback, one refused),
flags handled in the inbox. Every date is built from the `now` fixture."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from bot import reports
from bot.extensions import db
from bot.models import Message, Reminder
from bot.staff.accounts import create_staff
from schedules.dispatcher import dispatch
from tests.conftest import Phone
from tests.reminder_helpers import make_patient, scan_at

from .helpers import PASSWORD, STAFF_EMAIL, login, page_text

TZ = "America/New_York"


@pytest.fixture
def service(now: datetime, app_config: dict, request: pytest.FixtureRequest, time_machine):  # noqa: ANN001, ANN201
    """A few days of real traffic; returns (app, logged-in client, the reminders' due day)."""
    app = request.getfixturevalue("twilio_app")
    fake = request.getfixturevalue("fake_twilio")
    phone = Phone(app.test_client(), "+16145550101")
    with app.app_context():
        create_staff(STAFF_EMAIL, PASSWORD)
        db.session.commit()

    _at(time_machine, now - timedelta(days=3))
    phone.text("side effects")
    phone.text("HOSPICE")
    phone.text("what are the side efects")
    phone.text("I can't breathe")  # an urgent flag...
    _at(time_machine, now - timedelta(days=3, hours=-2))
    with app.app_context():
        flag_id = db.session.scalar(select(Message.id).where(Message.flag == "urgent"))
    # Logged in at each moment: a session cookie signed "in the future" is refused.
    nurse = app.test_client()
    assert login(nurse, STAFF_EMAIL).status_code == 302
    resp = nurse.post(f"/staff/inbox/{flag_id}/handle", data={"note": "Called, going to the ER"})
    assert resp.location == "/staff/inbox", resp.location
    _at(time_machine, now)  # ...handled 2 h later
    Phone(app.test_client(), "+16145550102").text("STOP")
    Phone(app.test_client(), "+16145550103").text("my chest hurts")  # open since now - 0 h

    _reminders(app, fake, now, time_machine)
    _at(time_machine, now)
    staff = app.test_client()
    assert login(staff, STAFF_EMAIL).status_code == 302
    return app, staff


def _at(time_machine, when: datetime) -> None:  # noqa: ANN001
    time_machine.move_to(when.isoformat() + "+00:00", tick=False)


def _reminders(app: Flask, fake, now: datetime, time_machine) -> None:  # noqa: ANN001
    """Two patients with a scan 5 days after `now - 10 days`: their 7-day reminders are
    skipped at planning (already past), their 1-day ones go out: one delivered, one refused
    by Twilio (21211)."""
    _at(time_machine, now - timedelta(days=10))
    fake.fail_number("+16145550105", status=400, code=21211)
    with app.app_context():
        scan_day = (now - timedelta(days=5)).strftime("%Y-%m-%d 09:30")
        for number in ("+16145550104", "+16145550105"):
            scan_at(make_patient(number, tz=TZ), scan_day)
        due = db.session.scalar(select(Reminder.due_at).where(Reminder.status == "planned"))
    _at(time_machine, due + timedelta(minutes=1))
    with app.app_context():
        stats = dispatch()
        assert (stats.sent, stats.failed) == (1, 1)
    (sent,) = [m for m in fake.messages if m["to"] == "+16145550104"]
    status = {
        "MessageSid": sent["sid"],
        "MessageStatus": "delivered",
        "AccountSid": "AC" + "0" * 32,
    }
    assert Phone(app.test_client()).post(status, path="/sms/status").status_code == 204


def test_reports_count_real_rows(service, now: datetime) -> None:  # noqa: ANN001
    app, staff = service
    with app.app_context():
        period = reports.Period.last_days(now, TZ)
        texts = reports.texts_in_by_topic(period)
        day = (now - timedelta(days=3)).date().isoformat()
        row = dict(zip(texts.columns, next(r for r in texts.rows if r[0] == day), strict=True))
        assert row["side_effects"] == 2 and row["hospice"] == 1 and row["urgent"] == 1
        consent = reports.totals(reports.consent_changes(period))
        assert consent == {"opt-ins": 0, "opt-outs": 1}
        handling = reports.time_to_handle(period)
        assert ["all flags", 1, 2.0] in handling.rows and ["urgent", 1, 2.0] in handling.rows
        ages = dict(reports.open_flags_by_age(now, 4).rows)
        assert ages["0 h to 1 h"] == 1 and sum(ages.values()) == 1
        reminders = reports.totals(reports.reminders_by_outcome(period))
        assert reminders == {
            "planned": 4,
            "sent": 1,
            "delivered": 1,
            "failed": 1,
            "skipped or cancelled": 2,
        }


def test_the_page_draws_the_rows_and_exports_them(service, now: datetime) -> None:  # noqa: ANN001
    app, staff = service
    page = page_text(staff.get("/staff/dashboard"))
    start = (now - timedelta(days=29)).date().isoformat()
    assert f'value="{start}"' in page  # the last 30 days by default
    texts = page[page.index('id="texts_in"') : page.index('id="reminders"')]
    # One bar per (day, topic) with texts: side_effects, hospice, urgent 3 days ago; STOP
    # and the chest pain today.
    assert len(re.findall(r'<rect class="bar"', texts)) == 5
    assert "2 side_effects" in texts  # the bar's tooltip
    assert "6 texts in" in texts
    assert "4 reminders due: 1 sent, 1 delivered, 1 failed, 2 skipped or cancelled." in page
    flags = page[page.index('id="open_flags"') : page.index('id="handling"')]
    assert ">0 h to 1 h</text>" in flags and ">over 3 days</text>" in flags  # axis labels
    assert f">{(now - timedelta(days=29)).strftime('%m-%d')}</text>" in texts  # first day

    narrow = page_text(
        staff.get(f"/staff/dashboard?start={now.date().isoformat()}&end={now.date().isoformat()}")
    )
    assert "2 texts in" in narrow and "0 reminders due" in narrow

    resp = staff.get(f"/staff/dashboard/reminders.csv?start={start}&end={now.date().isoformat()}")
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0] == ["day", *reports.REMINDER_COLUMNS] and len(rows) == 31
    assert sum(int(r[2]) for r in rows[1:]) == 1  # sent


def test_a_bad_range_falls_back_to_the_last_30_days(service, now: datetime) -> None:  # noqa: ANN001
    app, staff = service
    page = page_text(staff.get("/staff/dashboard?start=2027-02-01&end=2027-01-01"))
    assert "Pick an end after the start" in page
    assert f'value="{(now - timedelta(days=29)).date().isoformat()}"' in page
