"""Answering a reminder by text: C confirms the scan, R opens a staff task. Only right
after a reminder, and never before STOP or a red flag."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.extensions import db
from bot.models import Patient
from tests.checkin_helpers import (
    FRIDAY_10AM,
    active_patient,
    inbound_flags,
    move_to,
    patient_status,
    show,
    tick_at,
)
from tests.reminder_helpers import scan_at

pytestmark = pytest.mark.usefixtures("now")
CONFIRMED = "Thank you, your appointment is confirmed for Fri Jan 8 at 9:30 AM."
RESCHEDULE = "Thanks. Someone from your care team will call you to find a new time."


@pytest.fixture
def reminded(twilio_app, fake_twilio, runner, phone, time_machine):  # noqa: ANN001, ANN201
    """A patient whose 7-day reminder (Fri Jan 1, 10:00 New York) the clock has just sent."""

    def make(language: str = "en") -> int:
        pid = active_patient(twilio_app, language=language)
        with twilio_app.app_context():
            scan_at(db.session.get(Patient, pid), "2027-01-08 09:30")
        tick_at(twilio_app, time_machine, FRIDAY_10AM + timedelta(minutes=1))
        return pid

    return make, twilio_app, fake_twilio, runner, phone, time_machine


def test_c_confirms_and_r_asks_staff_to_call(reminded):
    make, app, twilio, runner, phone, _ = reminded
    make()
    (reminder,) = twilio.messages
    assert reminder["body"].endswith("Reply C to confirm, R to change, STOP to end.")
    assert phone.text("C").startswith(CONFIRMED)
    assert phone.text("r").startswith(RESCHEDULE)  # right after our "confirmed" reply too
    assert inbound_flags(app) == [("C", None), ("r", "reschedule")]
    record = show(runner)
    kinds = [(r["kind"], r["scan_when"]) for r in record["scan_confirmations"]]
    assert kinds == [("confirmed", "2027-01-08 09:30 EST"), ("reschedule", "2027-01-08 09:30 EST")]


def test_spanish_c(reminded):
    make, _, twilio, _, phone, _ = reminded
    make("es")
    assert twilio.messages[0]["body"].endswith(
        "Responda C para confirmar, R para cambiar la fecha, ALTO para salir."
    )
    assert phone.text("c").startswith(
        "Gracias, su cita esta confirmada para el viernes 8 de enero a las 9:30 AM."
    )


@pytest.mark.parametrize(
    ("language", "text", "reply"),
    [
        ("en", "yes", CONFIRMED),
        ("en", "Yes please", CONFIRMED),
        ("es", "Sí", "Gracias, su cita esta confirmada para el viernes 8 de enero"),
        ("es", "si claro", "Gracias, su cita esta confirmada para el viernes 8 de enero"),
    ],
)
def test_yes_after_a_reminder_confirms_it(reminded, language: str, text: str, reply: str):
    """YES / SI is the most natural answer to a reminder: a C, not "nothing to confirm"."""
    make, app, _, runner, phone, _ = reminded
    pid = make(language)
    assert phone.text(text).startswith(reply)
    assert inbound_flags(app) == [(text, None)]
    assert [r["kind"] for r in show(runner)["scan_confirmations"]] == ["confirmed"]
    assert patient_status(app, pid) == "active"


def test_yes_without_a_reminder_is_still_nothing_to_confirm(twilio_app, phone, runner):
    active_patient(twilio_app)
    assert not phone.text("yes").startswith(CONFIRMED)
    assert show(runner)["scan_confirmations"] == []


def test_c_means_nothing_special_unless_our_last_text_was_a_recent_reminder(
    twilio_app, phone, runner
):
    active_patient(twilio_app)
    assert not phone.text("C").startswith(CONFIRMED)  # no reminder at all
    assert show(runner)["scan_confirmations"] == []


def test_c_three_days_later_goes_the_normal_way(reminded):
    make, _, _, runner, phone, tm = reminded
    make()
    move_to(tm, FRIDAY_10AM + timedelta(hours=73))
    assert not phone.text("C").startswith(CONFIRMED)
    assert show(runner)["scan_confirmations"] == []


def test_stop_and_red_flags_after_a_reminder_come_first(reminded):
    make, app, _, runner, phone, _ = reminded
    pid = make()
    assert phone.text("I can't breathe").startswith("If this is an emergency, call 911")
    assert inbound_flags(app)[-1][1] == "urgent"
    assert phone.text("STOP").startswith("You are unsubscribed")
    assert patient_status(app, pid) == "stopped"
    assert phone.text("C") is None  # stopped: silence, nothing recorded
    assert show(runner)["scan_confirmations"] == []
