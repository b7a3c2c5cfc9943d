"""What staff and the CLI read about a patient's check-ins: the timeline and the series
each symptom chart is drawn from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from bot.extensions import db
from bot.models import Checkin, CheckinAnswer, CheckinSchedule
from bot.timeutil import to_local
from content.checkins import CheckinContent

TIMELINE_LIMIT = 52  # a year of weekly check-ins


def questions() -> CheckinContent:
    """The check-in questions in English: what staff read."""
    return current_app.extensions["nextsteps.content"].in_language("en").checkins


def timeline(patient_id: int, limit: int = TIMELINE_LIMIT) -> list[Checkin]:
    """The patient's check-ins, newest first, with their answers."""
    return list(
        db.session.scalars(
            select(Checkin)
            .where(Checkin.patient_id == patient_id)
            .order_by(Checkin.started_at.desc(), Checkin.id.desc())
            .limit(limit)
        )
    )


def schedule_of(patient_id: int) -> CheckinSchedule | None:
    return db.session.get(CheckinSchedule, patient_id)


@dataclass(frozen=True)
class Point:
    at: datetime  # when the check-in started (UTC)
    value: int
    grade: int | None
    answer_id: int


def series(patient_id: int) -> dict[str, list[Point]]:
    """Each graded question's answers over time, oldest first (the symptom charts)."""
    rows = db.session.execute(
        select(CheckinAnswer, Checkin.started_at)
        .join(Checkin, Checkin.id == CheckinAnswer.checkin_id)
        .where(CheckinAnswer.patient_id == patient_id, CheckinAnswer.value.is_not(None))
        .order_by(Checkin.started_at, CheckinAnswer.id)
    ).all()
    out: dict[str, list[Point]] = {q.id: [] for q in questions().questions if q.kind != "free"}
    for answer, at in rows:
        if answer.question in out:
            out[answer.question].append(Point(at, answer.value, answer.grade, answer.id))
    return out


def as_dict(row: Checkin, tz: str) -> dict:
    """One check-in as `flask patients show --json` prints it."""
    asked = {q.id: q.ask for q in questions().questions}
    return {
        "id": row.id,
        "source": row.source,
        "status": row.status,
        "language": row.language,
        "started": f"{to_local(row.started_at, tz):%Y-%m-%d %H:%M %Z}",
        "closed": f"{to_local(row.closed_at, tz):%Y-%m-%d %H:%M %Z}" if row.closed_at else None,
        "answers": [
            {
                "question": a.question,
                "asked": asked.get(a.question, ""),
                "answer": a.text,
                "value": a.value,
                "grade": a.grade,
                "trend": a.trend,
                "escalation": a.escalation,
            }
            for a in row.answers
        ],
    }
