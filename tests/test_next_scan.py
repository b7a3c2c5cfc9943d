"""Asking when the next scan is: the date is read only for the texts that ask, and is the
patient's next scan to come, in their time zone and language."""

from __future__ import annotations

from datetime import datetime

from flask import Flask

from bot.extensions import db
from bot.models import Scan
from tests.conftest import NOW, Phone
from tests.reminder_helpers import make_patient, scan_at


def _patient_with_scans(app: Flask, number: str, *local_times: str, language: str = "en"):  # noqa: ANN202
    """An active patient with scans at these local times; one in the past is stored as
    it would be once its day has gone by (add_scan refuses a time already past)."""
    with app.app_context():
        patient = make_patient(number)
        patient.language = language
        db.session.commit()
        for when in local_times:
            if datetime.fromisoformat(when) < NOW:
                db.session.add(
                    Scan(patient_id=patient.id, scheduled_at=datetime.fromisoformat(when))
                )
                db.session.commit()
            else:
                scan_at(patient, when)


def test_the_next_scan_to_come_in_the_patients_words(
    app: Flask, phone: Phone, now: datetime
) -> None:
    # NOW is 2027-01-01 12:00 UTC: the December scan is over, January 12 is next.
    _patient_with_scans(
        app, phone.number, "2026-12-20 10:00", "2027-02-03 08:15", "2027-01-12 09:30"
    )
    reply = phone.text("when is my next scan?")
    assert "Your next CT scan is Tue Jan 12 at 9:30 AM" in reply


def test_in_spanish(app: Flask, phone: Phone, now: datetime) -> None:
    _patient_with_scans(app, phone.number, "2027-01-12 09:30", language="es")
    reply = phone.text("cuando es mi proximo escaner?")
    assert "es el martes 12 de enero a las 9:30 AM" in reply


def test_no_scan_to_come(app: Flask, phone: Phone, now: datetime) -> None:
    _patient_with_scans(app, phone.number, "2026-12-20 10:00")
    assert "don't have a scan date" in phone.text("when is my next scan?")


def test_other_questions_are_answered_without_reading_the_scan(
    app: Flask, phone: Phone, now: datetime
) -> None:
    from sqlalchemy import event

    _patient_with_scans(app, phone.number, "2027-01-12 09:30")
    with app.app_context():
        engine = db.engine
    tables: list[str] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        tables.append(statement)

    assert "hospice" in phone.text("what is hospice").lower()
    assert not [s for s in tables if "FROM scans" in s]
    tables.clear()
    phone.text("when is my next scan?")
    assert [s for s in tables if "FROM scans" in s]


def test_the_date_is_in_the_language_of_the_sentence_not_the_stored_one(
    app: Flask, phone: Phone, now: datetime
) -> None:
    """Stored English, asked in Spanish: the Spanish reply carries a Spanish date (it
    carried "Tue Jan 12" inside "su proximo escaner ... es")."""
    _patient_with_scans(app, phone.number, "2027-01-12 09:30", language="en")
    reply = phone.text("cuando es mi proximo escaner? no entiendo la fecha")
    assert reply.startswith("Su proximo escaner CT es el martes 12 de enero a las 9:30 AM")
    assert "Tue" not in reply and "Jan" not in reply


def test_a_scan_tomorrow_says_tomorrow(app: Flask, phone: Phone, now: datetime) -> None:
    # NOW is Fri 2027-01-01 12:00 UTC, 7:00 AM in New York.
    _patient_with_scans(app, phone.number, "2027-01-02 08:00")
    assert "Your next CT scan is tomorrow at 8:00 AM" in phone.text("when is my next scan?")
