"""`flask patients enroll` and `flask reminders preview`, and consent wired to the plan."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import CANCELLED, PLANNED, ConsentEvent, Patient
from tests.reminder_helpers import reminders

# Every date below is a fixed calendar date after NOW (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("now")


def _patient(app, phone="+16145550123") -> Patient:
    with app.app_context():
        return db.session.scalars(select(Patient).where(Patient.phone == phone)).one()


def test_enroll_then_yes_then_preview_then_stop(app, runner, phone):
    result = runner.invoke(
        args=[
            "patients", "enroll", "(614) 555-0123", "--timezone", "America/Chicago",
            "--scan", "2027-01-12T09:30", "--kind", "PET",
        ]
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "+16145550123: new, pending, America/Chicago; opt-in text sent" in result.output
    assert "next PET scan: Tue Jan 12 at 9:30 AM" in result.output

    preview = runner.invoke(args=["reminders", "preview", "+16145550123"])
    assert "no reminders are sent until the patient replies YES" in preview.output

    assert "You're in!" in phone.text("YES")
    preview = runner.invoke(args=["reminders", "preview", "+16145550123"])
    assert preview.exit_code == 0, preview.output
    lines = preview.output.splitlines()
    assert lines[0] == "+16145550123: active, America/Chicago"
    assert lines[1].startswith("- Tue 2027-01-05 10:00 CST  planned")
    assert lines[2].startswith("    [1 segment(s), GSM-7,")
    assert "NextSteps: PET scan Tue Jan 12 at 9:30 AM. Ask: " in lines[2]
    assert lines[3].startswith("- Mon 2027-01-11 10:00 CST  planned")

    phone.text("STOP")
    with app.app_context():
        patient = _patient(app)
        assert {r.status for r in reminders(patient)} == {CANCELLED}
        events = db.session.scalars(select(ConsentEvent.event).order_by(ConsentEvent.id)).all()
        assert events == ["opt_in_requested", "opt_in", "opt_out"]

    phone.text("START")
    with app.app_context():
        assert len(reminders(_patient(app), PLANNED)) == 2


def test_enroll_discreet_without_scan(app, runner):
    result = runner.invoke(args=["patients", "enroll", "+16145550123", "--discreet"])
    assert result.exit_code == 0, result.output
    assert "+16145550123: new, pending, America/New_York; opt-in text sent" in result.output
    assert "next CT scan" not in result.output
    with app.app_context():
        assert _patient(app).discreet is True


def test_enroll_rejects_bad_phone_and_zone(app, runner):
    bad_phone = runner.invoke(args=["patients", "enroll", "12345"])
    assert bad_phone.exit_code != 0 and "is not a valid phone number" in bad_phone.output
    bad_zone = runner.invoke(args=["patients", "enroll", "+16145550123", "--timezone", "Mars/Base"])
    assert bad_zone.exit_code != 0 and "is not a time zone" in bad_zone.output
    bad_scan = runner.invoke(args=["patients", "enroll", "+16145550123", "--scan", "soon"])
    assert bad_scan.exit_code != 0
    with app.app_context():
        assert db.session.scalars(select(Patient)).first() is None


def test_preview_unknown_patient(runner):
    result = runner.invoke(args=["reminders", "preview", "+16145550199"])
    assert result.exit_code != 0 and "no patient" in result.output
