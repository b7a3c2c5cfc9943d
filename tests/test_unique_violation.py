"""An IntegrityError is a twin only for the constraint the caller meant (issue 26): the
clock's and the dispatcher's handlers ask `unique_violation`, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from bot.extensions import db, unique_violation
from bot.models import ClockTick, Message


def _conflict(app: Flask, *rows) -> IntegrityError:  # noqa: ANN002
    with app.app_context():
        db.session.add(rows[0])
        db.session.commit()
        db.session.expunge_all()  # as if another process wrote the first row
        db.session.add(rows[1])
        with pytest.raises(IntegrityError) as caught:
            db.session.commit()
        db.session.rollback()
    return caught.value


def test_a_second_clock_row_is_the_primary_key_and_nothing_else(app: Flask) -> None:
    exc = _conflict(app, ClockTick(name="heartbeat"), ClockTick(name="heartbeat"))
    assert unique_violation(exc, "clock_ticks", "name", primary_key=True)
    assert not unique_violation(exc, "messages", "twilio_sid")


def test_a_repeated_provider_sid_is_the_sid_constraint_and_nothing_else(app: Flask) -> None:
    sid = "SM" + "9" * 32
    first, twin = (
        Message(
            direction="outbound", phone="+16145550100", body="hi", twilio_sid=sid, status="sent"
        )
        for _ in range(2)
    )
    exc = _conflict(app, first, twin)
    assert unique_violation(exc, "messages", "twilio_sid")
    assert not unique_violation(exc, "clock_ticks", "name", primary_key=True)


def test_another_conflict_on_the_same_table_is_not_a_twin(app: Flask) -> None:
    with app.app_context():
        db.session.add(Message(direction="outbound", phone="+16145550100", body="hi"))
        with pytest.raises(IntegrityError) as caught:  # no status: NOT NULL, not the sid
            db.session.commit()
        db.session.rollback()
    assert not unique_violation(caught.value, "messages", "twilio_sid")
