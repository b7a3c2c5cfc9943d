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
