"""Shared set-up for the check-in tests: a patient, the CLI, the clock, the database."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from bot.extensions import db
from bot.models import Checkin, CheckinSchedule, Message, Patient
from schedules.clock import tick
from tests.reminder_helpers import make_patient

PHONE = "+16145550123"
# NOW (tests/conftest.py) is Fri 2027-01-01 12:00 UTC, 07:00 in New York. A Friday 10:00
# check-in there is due at 15:00 UTC.
FRIDAY_10AM = datetime(2027, 1, 1, 15, 0)


def active_patient(app, language: str | None = "en", tz: str = "America/New_York") -> int:
    with app.app_context():
        patient = make_patient(PHONE, tz=tz)
        patient.language = language
        db.session.commit()
        return patient.id


def switch_on(runner, day: str = "fri", at: str = "10:00") -> str:
    result = runner.invoke(args=["patients", "checkins", PHONE, "--on", "--day", day, "--time", at])
    assert result.exit_code == 0, result.output
    return result.output


def show(runner) -> dict:
    result = runner.invoke(args=["patients", "show", PHONE, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def tick_at(app, time_machine, at: datetime) -> None:  # noqa: ANN001
    """Move the one clock to `at` and run one clock tick there."""
    from datetime import UTC

    time_machine.move_to(at.replace(tzinfo=UTC), tick=False)
    with app.app_context():
        tick()
        db.session.remove()


def move_to(time_machine, at: datetime) -> None:  # noqa: ANN001
    from datetime import UTC

    time_machine.move_to(at.replace(tzinfo=UTC), tick=False)


def checkins(app, pid: int) -> list[Checkin]:
    with app.app_context():
        rows = list(
            db.session.scalars(
                select(Checkin).where(Checkin.patient_id == pid).order_by(Checkin.id)
            )
        )
        for row in rows:
            _ = list(row.answers)
        db.session.expunge_all()
        return rows


def inbound_flags(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        return [
            (m.body, m.flag)
            for m in db.session.scalars(
                select(Message).where(Message.direction == "inbound").order_by(Message.id)
            )
        ]


def schedule_note(app, pid: int) -> str | None:
    with app.app_context():
        return db.session.get(CheckinSchedule, pid).note


def patient_status(app, pid: int) -> str:
    with app.app_context():
        return db.session.get(Patient, pid).status


WEEK = timedelta(days=7)
