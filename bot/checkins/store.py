"""Check-ins in the database: open one, apply a turn of the conversation, close them.

The pipeline decides (bot.checkins.conversation); bot.conversation.inbound and the clock
call here to make it so. The caller commits.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update

from bot.checkins.conversation import OpenCheckin, Previous, Turn
from bot.extensions import db
from bot.models import Checkin, CheckinAnswer, Patient
from bot.patients.status import CheckinStatus

OPEN = CheckinStatus.OPEN
CLOCK, PATIENT = "clock", "patient"  # Checkin.source: the weekly time, or CHECK


# Read for every text from an active patient: built once.
_OPEN = (
    select(Checkin)
    .where(Checkin.patient_id == bindparam("patient_id"), Checkin.status == OPEN)
    .order_by(Checkin.id.desc())
    .limit(1)
)


def open_checkin(patient_id: int) -> Checkin | None:
    """The patient's check-in waiting for an answer (at most one), if any."""
    return db.session.scalars(_OPEN, {"patient_id": patient_id}).first()


def _previous(patient_id: int, before_id: int) -> dict[str, Previous]:
    """The answers of the patient's last check-in before this one (for "worse" and "same")."""
    last = db.session.scalar(
        select(Checkin.id)
        .where(Checkin.patient_id == patient_id, Checkin.id < before_id)
        .where(Checkin.status.in_([CheckinStatus.COMPLETED, CheckinStatus.ESCALATED]))
        .order_by(Checkin.id.desc())
        .limit(1)
    )
    if last is None:
        return {}
    rows = db.session.scalars(select(CheckinAnswer).where(CheckinAnswer.checkin_id == last))
    return {a.question: Previous(a.value, a.trend) for a in rows}


def state_of(patient: Patient | None) -> OpenCheckin | None:
    """Where the patient's open check-in stands, for the pipeline's Context."""
    if patient is None:
        return None
    row = open_checkin(patient.id)
    if row is None:
        return None
    # After a re-ask, the newest answer row is the waiting question's ("worse", no number).
    said = row.answers[-1].trend if row.reasked and row.answers else None
    return OpenCheckin(
        row.id, row.step, row.reasked, row.language, said, _previous(patient.id, row.id)
    )


def start(patient: Patient, source: str, language: str, now: datetime) -> Checkin:
    """A new open check-in (its first question is being sent). Closes any other as missed."""
    close_open(patient.id, CheckinStatus.MISSED, now)
    row = Checkin(
        patient_id=patient.id,
        source=source,
        status=OPEN,
        language=language,
        started_at=now,
        last_prompt_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return row


def apply(
    turn: Turn, patient: Patient, text: str, message_id: int | None, language: str, now: datetime
) -> None:
    """Make one turn so: store the answer (the re-ask's answer completes the same row),
    move to the next question or close."""
    row = db.session.get(Checkin, turn.checkin_id) if turn.checkin_id else None
    if row is None:  # CHECK: a new one; its first question is the reply
        start(patient, PATIENT, language, now)
        return
    if turn.question:
        _store_answer(row, turn, text, message_id)
    row.step, row.reasked, row.status, row.last_prompt_at = (
        turn.step,
        turn.reasked,
        turn.status,
        now,
    )
    if turn.status != OPEN:
        row.closed_at = now


def _store_answer(row: Checkin, turn: Turn, text: str, message_id: int | None) -> None:
    answer = next((a for a in row.answers if a.question == turn.question), None)
    if answer is None:
        answer = CheckinAnswer(checkin=row, patient_id=row.patient_id, question=turn.question)
        db.session.add(answer)
    answer.text = f"{answer.text} / {text}" if answer.text else text
    answer.value, answer.grade, answer.escalation = turn.value, turn.grade, turn.escalation
    answer.trend = turn.trend
    answer.message_id = message_id


def close_open(patient_id: int, status: CheckinStatus, now: datetime) -> int:
    """Close the patient's open check-in (STOP: cancelled; a new one: missed)."""
    result = db.session.execute(
        update(Checkin)
        .where(Checkin.patient_id == patient_id, Checkin.status == OPEN)
        .values(status=status, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def close_missed(now: datetime, hours: int) -> int:
    """No reply within `hours` of the last question: missed. The clock calls this."""
    result = db.session.execute(
        update(Checkin)
        .where(Checkin.status == OPEN, Checkin.last_prompt_at < now - timedelta(hours=hours))
        .values(status=CheckinStatus.MISSED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
