"""The console's check-in controls (CSRF, audit, quiet hours), what erase removes, and the
inbox's view of an R (reschedule) after a reminder."""

from __future__ import annotations

from datetime import UTC, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import AuditEntry, Checkin, CheckinAnswer, CheckinSchedule, Patient
from schedules.clock import tick
from tests.checkin_helpers import FRIDAY_10AM, PHONE, active_patient
from tests.conftest import Phone
from tests.reminder_helpers import scan_at

from .helpers import Clinic, csrf_token, login, page_text


def _post(client: FlaskClient, pid: int, **fields: str):  # noqa: ANN202
    token = csrf_token(client.get(f"/staff/patients/{pid}").data)
    data = {"csrf_token": token, **{f"checkin-{k}": v for k, v in fields.items()}}
    return client.post(f"/staff/patients/{pid}/checkins", data=data, follow_redirects=True)


def test_staff_switch_the_check_in_on_and_off(
    csrf_on: None, app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    pid = clinic.patient_id
    page = page_text(_post(staff_client, pid, enabled="y", day="tue", time="10:00"))
    assert "Weekly check-in on." in page and "On: Tue 10:00 (America/Chicago)" in page
    with app.app_context():
        entry = db.session.scalars(
            select(AuditEntry).where(AuditEntry.action.startswith("checkins."))
        ).one()
        assert (entry.action, entry.target, entry.detail) == (
            "checkins.on",
            f"patient:{pid}",
            "tue 10:00",
        )

    refused = page_text(_post(staff_client, pid, enabled="y", day="tue", time="21:30"))
    assert "Check-in not changed: 21:30 is in quiet hours" in refused
    assert "On: Tue 10:00" in refused  # unchanged

    # Without the CSRF token: refused.
    bare = staff_client.post(
        f"/staff/patients/{pid}/checkins", data={"checkin-day": "mon", "checkin-time": "10:00"}
    )
    assert bare.status_code == 400

    off = page_text(_post(staff_client, pid, day="tue", time="10:00"))
    assert "Weekly check-in off." in off
    with app.app_context():
        assert db.session.get(CheckinSchedule, pid).enabled is False


def test_erase_removes_check_ins_and_answers(
    app: Flask, staff_client: FlaskClient, client: FlaskClient
) -> None:
    pid = active_patient(app)
    phone = Phone(client, PHONE)
    phone.text("check")
    phone.text("3")
    resp = staff_client.post(f"/staff/patients/{pid}/erase", data={"confirm": "ERASE"})
    assert resp.status_code == 302
    with app.app_context():
        counts = [
            db.session.scalar(select(func.count()).select_from(m)) for m in (Checkin, CheckinAnswer)
        ]
        assert counts == [0, 0]


def test_an_r_after_a_reminder_is_a_task_in_the_inbox(
    twilio_app: Flask,
    staff_user: str,
    time_machine,
    now,  # noqa: ANN001
) -> None:
    pid = active_patient(twilio_app)
    with twilio_app.app_context():
        scan_at(db.session.get(Patient, pid), "2027-01-08 09:30")
    time_machine.move_to((FRIDAY_10AM + timedelta(minutes=1)).replace(tzinfo=UTC), tick=False)
    with twilio_app.app_context():
        tick()
    client = twilio_app.test_client()
    assert (
        Phone(client, PHONE).text("R").startswith("Thanks. Someone from your care team will call")
    )
    login(client, staff_user)
    inbox = page_text(client.get("/staff/inbox"))
    assert "reschedule" in inbox and "Asked to change scan #" in inbox
    patient_page = page_text(client.get(f"/staff/patients/{pid}"))
    assert "Asked to change (scan #" in patient_page
