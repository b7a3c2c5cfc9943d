"""Weekly symptom check-ins end to end: the CLI switches them on, the clock texts the first
question through the real twilio client to the fake Twilio, the patient answers through the
signed webhook, and the answers, grades and flags land in the database."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.checkin_helpers import (
    FRIDAY_10AM,
    PHONE,
    WEEK,
    active_patient,
    checkins,
    inbound_flags,
    move_to,
    patient_status,
    schedule_note,
    show,
    switch_on,
    tick_at,
)

pytestmark = pytest.mark.usefixtures("now")
URGENT = "If this is an emergency, call 911 now."
CALL_TODAY = "Please call your care team today at 614-555-0100 about this."


@pytest.fixture
def setup(twilio_app, fake_twilio, runner, phone, time_machine):  # noqa: ANN001, ANN201
    return twilio_app, fake_twilio, runner, phone, time_machine


def test_a_full_weekly_check_in_by_text(setup):
    app, twilio, runner, phone, tm = setup
    pid = active_patient(app)
    assert "next Fri Jan 1 at 10:00 AM" in switch_on(runner)

    tick_at(app, tm, FRIDAY_10AM - timedelta(minutes=1))
    assert twilio.messages == []  # not yet
    tick_at(app, tm, FRIDAY_10AM + timedelta(minutes=1))
    (first,) = twilio.messages
    assert first["to"] == PHONE
    assert first["body"].startswith("NextSteps weekly check-in: 5 short questions.")
    assert "1/5" in first["body"] and "loose" in first["body"]

    assert phone.text("2").startswith("2/5: How is your breathing or cough")
    assert phone.text("none").startswith("3/5: Any rash")
    assert phone.text("0").startswith("4/5: How is your energy")
    assert phone.text("one").startswith("5/5: Anything else")
    assert phone.text("No").startswith("Thank you, that is all for this week.")

    assert patient_status(app, pid) == "active"  # "no" is an answer, never an opt-out
    (done,) = checkins(app, pid)
    assert done.status == "completed" and done.source == "clock"
    assert [(a.question, a.value, a.grade) for a in done.answers] == [
        ("stools", 2, 1),
        ("breathing", 0, 0),
        ("skin", 0, 0),
        ("energy", 1, 1),
        ("other", None, None),
    ]
    assert [flag for _, flag in inbound_flags(app)] == [None] * 5  # nothing for staff

    record = show(runner)
    assert record["status"] == "active" and record["language"] == "en"
    assert (
        record["checkin_schedule"]["day"] == "fri" and record["checkin_schedule"]["time"] == "10:00"
    )
    (shown,) = record["checkins"]
    assert shown["answers"][0]["answer"] == "2" and shown["answers"][0]["grade"] == 1
    assert shown["answers"][0]["asked"].startswith("1/5: This week, how many more loose")

    # Next week at the same time, the next one.
    tick_at(app, tm, FRIDAY_10AM + WEEK + timedelta(minutes=1))
    assert len(twilio.messages) == 2


def test_a_grade_3_answer_gets_the_urgent_reply_and_a_flag_in_the_same_request(setup):
    app, twilio, runner, phone, tm = setup
    pid = active_patient(app)
    assert phone.text("CHECK").startswith("NextSteps weekly check-in")  # any time, by text
    reply = phone.text("8 a day")  # 8 more loose stools a day: grade 3
    assert reply.startswith(URGENT)
    assert inbound_flags(app)[-1] == ("8 a day", "urgent")
    (row,) = checkins(app, pid)
    assert row.status == "escalated" and row.source == "patient"
    assert (row.answers[0].value, row.answers[0].grade, row.answers[0].escalation) == (
        8,
        3,
        "urgent",
    )
    # The check-in stopped there: the next text is read the normal way.
    assert not phone.text("thanks").startswith("2/5")
    assert twilio.messages == []  # all of it was TwiML replies


def test_grade_2_says_call_today_flags_it_and_goes_on(setup):
    app, _, _, phone, _ = setup
    pid = active_patient(app)
    phone.text("check")
    phone.text("0")
    reply = phone.text("2")  # short of breath walking or dressing
    assert reply.startswith(CALL_TODAY) and "3/5: Any rash" in reply
    assert inbound_flags(app)[-1] == ("2", "checkin")
    assert checkins(app, pid)[0].answers[1].escalation == "today"


def test_a_red_flag_or_stop_during_a_check_in_comes_first(setup):
    app, twilio, runner, phone, tm = setup
    pid = active_patient(app)
    phone.text("check")
    assert phone.text("I can't breathe").startswith(URGENT)
    assert inbound_flags(app)[-1] == ("I can't breathe", "urgent")
    assert checkins(app, pid)[0].status == "escalated"

    phone.text("check")
    assert phone.text("STOP").startswith("You are unsubscribed")
    assert patient_status(app, pid) == "stopped"
    assert checkins(app, pid)[1].status == "cancelled"
    switch_on(runner)
    tick_at(app, tm, FRIDAY_10AM + timedelta(minutes=1))
    assert twilio.messages == []  # stopped: no more check-ins
    assert "patient is stopped" in schedule_note(app, pid)


def test_an_unclear_answer_gets_one_re_ask_then_the_next_question(setup):
    app, _, _, phone, _ = setup
    pid = active_patient(app)
    phone.text("check")
    assert phone.text("hmm not sure").startswith("Please reply with a number")
    assert phone.text("dunno").startswith("2/5")  # once only
    assert phone.text("worse").startswith("Please reply 0, 1, 2 or 3")  # no number yet
    assert phone.text("1").startswith("3/5")
    (row,) = checkins(app, pid)
    stools, breathing = row.answers
    assert stools.value is None and stools.text == "hmm not sure / dunno"
    assert (breathing.value, breathing.trend, breathing.text) == (1, "worse", "worse / 1")


def test_worse_two_weeks_running_says_call_today(setup):
    app, _, _, phone, tm = setup
    pid = active_patient(app)
    for week, skin in enumerate(("0", "1", "worse, 1")):  # 0, then 1 (worse), then worse again
        move_to(tm, FRIDAY_10AM + week * WEEK)
        phone.text("check")
        phone.text("0")
        phone.text("0")
        reply = phone.text(skin)
        phone.text("0")
        phone.text("no")
    assert reply.startswith(CALL_TODAY)
    trends = [c.answers[2].trend for c in checkins(app, pid)]
    assert trends == [None, "worse", "worse"]
    assert [c.answers[2].escalation for c in checkins(app, pid)] == [None, None, "today"]


def test_no_reply_within_24_hours_is_missed(setup):
    app, twilio, _, phone, tm = setup
    pid = active_patient(app)
    switch_on(setup[2])
    tick_at(app, tm, FRIDAY_10AM + timedelta(minutes=1))
    assert len(twilio.messages) == 1
    tick_at(app, tm, FRIDAY_10AM + timedelta(hours=23))
    assert checkins(app, pid)[0].status == "open"
    tick_at(app, tm, FRIDAY_10AM + timedelta(hours=24, minutes=2))
    assert checkins(app, pid)[0].status == "missed"
    # A "3" now is not an answer to anything.
    assert not phone.text("3").startswith("2/5")


def test_spanish_check_in(setup):
    app, twilio, runner, phone, tm = setup
    pid = active_patient(app, language="es")
    switch_on(runner)
    tick_at(app, tm, FRIDAY_10AM + timedelta(minutes=1))
    (first,) = twilio.messages
    assert first["body"].startswith("NextSteps, chequeo semanal: 5 preguntas cortas.")
    assert phone.text("tres").startswith("2/5: ¿Como esta su respiracion o su tos")
    assert phone.text("ninguna").startswith("3/5: ¿Tiene sarpullido")
    # No last week to compare with: "igual" is still an answer, not asked again.
    assert phone.text("igual").startswith("4/5: ¿Como esta su energia?")
    assert phone.text("peor, 2").startswith("Por favor llame hoy a su equipo médico")
    assert phone.text("nada").startswith("Gracias, eso es todo por esta semana.")
    (row,) = checkins(app, pid)
    assert row.language == "es" and row.status == "completed"
    assert [a.grade for a in row.answers] == [1, 0, None, 2, None]
    assert row.answers[2].trend == "same"
    move_to(tm, FRIDAY_10AM + timedelta(hours=2))  # (the loop guard counts replies a minute)
    assert phone.text("CHEQUEO").startswith("NextSteps, chequeo semanal")


def test_spanish_answers_that_negate_something_good_are_asked_again(setup):
    """Spanish review: "ni una" is none; "una zona grande", "no estoy mejor" and "no estoy
    bien" are unclear (asked again), never none or 1; question 5 asks for NADA (not NO:
    "No mas" would be an opt-out)."""
    app, twilio, runner, phone, tm = setup
    pid = active_patient(app, language="es")
    switch_on(runner)
    tick_at(app, tm, FRIDAY_10AM + timedelta(minutes=1))
    assert phone.text("Ni una").startswith("2/5: ¿Como esta su respiracion")
    assert phone.text("no estoy mejor").startswith("Por favor responda 0, 1, 2 o 3: 0 si respira")
    assert phone.text("0").startswith("3/5: ¿Tiene sarpullido")
    reask = phone.text("una zona grande")
    assert reask.startswith("Por favor responda 0, 1, 2 o 3: 0 si no tiene sarpullido")
    assert phone.text("2").startswith("Por favor llame hoy a su equipo médico")
    assert phone.text("no estoy bien").startswith("Por favor responda 0, 1, 2 o 3: 0 si su energia")
    last = phone.text("1")
    assert last.startswith("5/5:") and last.endswith("o responda NADA.")
    assert phone.text("Nada").startswith("Gracias, eso es todo por esta semana.")
    (row,) = checkins(app, pid)
    assert row.status == "completed" and patient_status(app, pid) == "active"
    assert [(a.value, a.grade) for a in row.answers] == [
        (0, 0),
        (0, 0),
        (2, 2),
        (1, 1),
        (None, None),
    ]
    assert [flag for _, flag in inbound_flags(app)].count("checkin") == 1  # the grade 2 only


def test_check_ins_respect_quiet_hours(setup):
    app, twilio, runner, phone, tm = setup
    pid = active_patient(app)
    result = runner.invoke(
        args=["patients", "checkins", PHONE, "--on", "--day", "fri", "--time", "21:00"]
    )
    assert result.exit_code != 0 and "quiet hours" in result.output
    switch_on(runner)
    from bot.extensions import db
    from bot.models import Patient

    with app.app_context():  # the patient moved: 10:00 New York is midnight in Tokyo
        db.session.get(Patient, pid).timezone = "Asia/Tokyo"
        db.session.commit()
    tick_at(app, tm, FRIDAY_10AM + timedelta(minutes=1))
    assert twilio.messages == []
    assert "quiet hours" in schedule_note(app, pid)


def test_check_in_prompts_and_reminders_share_the_caps(setup):
    """A reminder due the same day goes first and the check-in waits a day; a reminder
    planned after a check-in went out gives way to it (1 text a day)."""
    app, twilio, runner, phone, tm = setup
    from bot.extensions import db
    from bot.models import Patient
    from tests.reminder_helpers import reminders, scan_at

    pid = active_patient(app)
    with app.app_context():  # 7-day reminder: Fri Jan 1 10:00, like the check-in
        scan_at(db.session.get(Patient, pid), "2027-01-08 09:30")
    switch_on(runner)
    tick_at(app, tm, FRIDAY_10AM + timedelta(minutes=1))
    (reminder,) = twilio.messages
    assert "scan Fri Jan 8" in reminder["body"]
    assert "gave way: at most 1 reminder(s) a day" in schedule_note(app, pid)
    tick_at(app, tm, FRIDAY_10AM + timedelta(days=1, minutes=1))
    assert twilio.messages[-1]["body"].startswith("NextSteps weekly check-in")
    assert len(twilio.messages) == 2

    # A scan added now whose 7-day reminder would be today gives way to the check-in.
    with app.app_context():
        patient = db.session.get(Patient, pid)
        scan = scan_at(patient, "2027-01-09 09:30")
        (row,) = [r for r in reminders(patient) if r.scan_id == scan.id and r.offset_days == 7]
        assert row.status == "skipped" and "gave way" in row.note


def test_the_same_answer_four_times_is_not_mistaken_for_a_loop(setup):
    """A well patient answers 0, 0, 0, 0: each still gets the next question."""
    app, _, _, phone, _ = setup
    active_patient(app)
    phone.text("check")
    assert phone.text("0").startswith("2/5")
    assert phone.text("0").startswith("3/5")
    assert phone.text("0").startswith("4/5")
    assert phone.text("0").startswith("5/5")
    assert phone.text("no").startswith("Thank you")


def test_switched_off_by_the_cli_nothing_is_sent(setup):
    app, twilio, runner, _, tm = setup
    active_patient(app)
    switch_on(runner)
    off = runner.invoke(args=["patients", "checkins", PHONE, "--off"])
    assert off.exit_code == 0 and "weekly check-in off" in off.output
    tick_at(app, tm, FRIDAY_10AM + timedelta(minutes=1))
    assert twilio.messages == []
    assert show(runner)["checkin_schedule"]["enabled"] is False
    unknown = runner.invoke(args=["patients", "show", "+16145550999"])
    assert unknown.exit_code != 0 and "no patient" in unknown.output
