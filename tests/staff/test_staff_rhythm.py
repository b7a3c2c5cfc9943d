"""Enrolling with a rescan rhythm and no scan date books the rhythm's first scan."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditEntry, Scan
from bot.timeutil import to_local


def test_rhythm_without_a_scan_books_the_first_one(app: Flask, staff_client: FlaskClient) -> None:
    start = date.today() + timedelta(days=3)
    staff_client.post(
        "/staff/patients/new",
        data={
            "phone": "(614) 555-0142",
            "timezone": "America/Chicago",
            "language": "en",
            "scan_kind": "PET",
            "treatment_start": start.isoformat(),
            "rhythm_first_weeks": "12",
            "rhythm_every_weeks": "8",
        },
    )
    with app.app_context():
        scan = db.session.scalars(select(Scan)).one()
        local = to_local(scan.scheduled_at, "America/Chicago").replace(tzinfo=None)
        assert local == datetime.combine(start + timedelta(weeks=12), datetime.min.time()).replace(
            hour=9
        )
        assert scan.kind == "PET"
        actions = db.session.scalars(select(AuditEntry.action)).all()
        assert "scan.add" in actions


def test_a_rhythm_scan_shows_time_to_be_confirmed(app: Flask, staff_client: FlaskClient) -> None:
    start = date.today() + timedelta(days=3)
    staff_client.post(
        "/staff/patients/new",
        data={
            "phone": "(614) 555-0142",
            "display_name": "Rhythm Only",
            "timezone": "America/New_York",
            "language": "en",
            "scan_kind": "CT",
            "treatment_start": start.isoformat(),
            "rhythm_first_weeks": "12",
            "rhythm_every_weeks": "8",
        },
    )
    with app.app_context():
        scan = db.session.scalars(select(Scan)).one()
    day = f"{to_local(scan.scheduled_at, 'America/New_York'):%Y-%m-%d}"
    page = staff_client.get(f"/staff/patients/{scan.patient_id}").get_data(as_text=True)
    assert f"{day}, time to be confirmed" in page and f"{day} 09:00" not in page
    assert "set the time with Move" in page
    listing = staff_client.get("/staff/patients").get_data(as_text=True)
    assert f"{day}, time to be confirmed" in listing
