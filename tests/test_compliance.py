"""STOP / START / YES / HELP: carrier rules, consent records, silence after STOP."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from bot.conversation.compliance import classify
from bot.extensions import db
from bot.models import ConsentEvent, Patient
from tests.conftest import Phone

STOP_FAMILY = [
    "STOP",
    "stop",
    "Stop.",
    "STOPALL",
    "UNSUBSCRIBE",
    "cancel",
    "END",
    "quit",
    "REVOKE",
    "OPTOUT",
    "opt out",
    "STOP please",
    "  stop!!! ",
]
PLAIN_OPT_OUTS = [
    "please stop texting me",
    "Stop sending me these messages",
    "don't text me anymore",
    "Do not contact me again",
    "remove me from this list",
    "take me off your list",
    "no more texts please",
    "leave me alone",
    "stop all the reminders",
    "wrong number",
    "Please unsubscribe me",
]
NOT_OPT_OUTS = [
    "how do I stop the diarrhea",
    "Why did my immunotherapy stop working?",
    "when will the side effects end",
    "should I stop treatment",
    "can I cancel my scan",
    "stopped working?",
    "it's the end of the road isn't it",
]


@pytest.mark.parametrize("text", STOP_FAMILY + PLAIN_OPT_OUTS)
def test_opt_out_words_and_phrases(text: str) -> None:
    assert classify(text) == "stop"


@pytest.mark.parametrize("text", NOT_OPT_OUTS)
def test_sentences_that_merely_contain_stop_are_not_opt_outs(text: str) -> None:
    assert classify(text) != "stop"


@pytest.mark.parametrize(
    "text,kind",
    [
        ("START", "start"),
        ("unstop", "start"),
        ("YES", "yes"),
        ("y", "yes"),
        ("Yes please", "yes"),
        ("HELP", "help"),
        ("info", "help"),
        ("Help!", "help"),
        ("TRIALS", None),
        ("", None),
    ],
)
def test_other_compliance_keywords(text: str, kind: str | None) -> None:
    assert classify(text) == kind


def _patient(app, phone="+16145550123", status="active") -> None:
    with app.app_context():
        db.session.add(Patient(phone=phone, status=status))
        db.session.commit()


def _consent(app) -> list[tuple[str, str]]:
    with app.app_context():
        return [
            (e.event, e.source)
            for e in db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id))
        ]


def _status(app, phone="+16145550123") -> str:
    with app.app_context():
        return db.session.scalar(select(Patient.status).where(Patient.phone == phone))


def test_stop_then_silence_until_start(app, phone: Phone) -> None:
    _patient(app)
    confirmation = phone.text("STOP")
    assert "unsubscribed" in confirmation.lower() and "START" in confirmation
    assert _status(app) == "stopped"
    for text in ("TRIALS", "hello?", "HELP", "STOP", "side effects", "MORE"):
        assert phone.text(text) is None, text
    welcome = phone.text("START")
    assert welcome and "STOP" in welcome and "HELP" in welcome
    assert _status(app) == "active"
    assert "trial" in phone.text("TRIALS").lower()
    # The second STOP changed nothing, but it is kept: it is the patient's latest word.
    assert _consent(app) == [("opt_out", "sms"), ("opt_out", "sms"), ("opt_in", "sms")]


def test_plain_language_opt_out_is_recorded_like_stop(app, phone: Phone) -> None:
    _patient(app)
    assert "unsubscribed" in phone.text("please stop texting me").lower()
    assert _status(app) == "stopped"
    assert _consent(app) == [("opt_out", "sms")]


def test_stop_from_a_number_we_never_enrolled_is_kept(app, phone: Phone) -> None:
    assert "unsubscribed" in phone.text("STOP").lower()
    assert _status(app) == "stopped"  # so staff can't enroll it without a START
    assert phone.text("TRIALS") is None


def test_yes_and_unstop_resubscribe_after_stop(app, phone: Phone) -> None:
    _patient(app)
    phone.text("STOP")
    assert phone.text("YES")
    assert _status(app) == "active"
    phone.text("STOP")
    assert phone.text("UNSTOP")
    assert _status(app) == "active"


def test_yes_confirms_a_pending_enrollment(app, phone: Phone) -> None:
    _patient(app, status="pending")
    reply = phone.text("yes")
    assert "STOP" in reply
    assert _status(app) == "active"
    assert _consent(app) == [("opt_in", "sms")]
    # A second YES has nothing to confirm and records nothing.
    assert phone.text("YES")
    assert _consent(app) == [("opt_in", "sms")]


def test_start_confirms_a_pending_enrollment_too(app, phone: Phone) -> None:
    _patient(app, status="pending")
    phone.text("START")
    assert _status(app) == "active"


def test_yes_or_start_from_a_stranger_changes_nothing(app, phone: Phone) -> None:
    assert phone.text("YES")
    assert phone.text("START")
    assert _status(app) is None
    assert _consent(app) == []


def test_help_is_the_ctia_help_text(phone: Phone) -> None:
    reply = phone.text("HELP")
    for must in (
        "NextSteps",
        "Msg & data rates may apply",
        "STOP",
        "614-555-0100",
        "not watched for emergencies",
        "911",
    ):
        assert must in reply, must


def test_menu_says_not_for_emergencies(phone: Phone) -> None:
    reply = phone.text("hello")
    assert "911" in reply and "MENU" in reply
    assert "911" in phone.text("MENU")


def test_stopped_patient_in_danger_gets_the_safety_reply_and_a_call_flag(app, phone: Phone) -> None:
    from bot.models import Message

    _patient(app, status="stopped")
    assert "911" in phone.text("I can't breathe")
    with app.app_context():
        flagged = db.session.scalars(select(Message).where(Message.flag.is_not(None))).all()
    assert [m.flag for m in flagged] == ["call_opted_out"]


@pytest.mark.parametrize(
    "text",
    [
        "stop. who is this",
        "\U0001f6d1",
        "Wrong #",
        "Lose my number",
        "Never text me again",
        "quit texting me",
        "she asked me to shut these off",
        "No me vuelvan a escribir",
        "my mom does not want these texts anymore",
        "mi mama ya no quiere los mensajes",
        "my husband died in May, please stop",
        "gracias por todo. Alto por favor",
        "Thanks for everything. Stop.",
        "por favor quiten este numero",
    ],
)
def test_opt_outs_as_people_write_them(text: str) -> None:
    from bot.conversation.compliance import classify

    assert classify(text) == "stop"


@pytest.mark.parametrize(
    "text",
    [
        "I dont want the reminders to stop",
        "stop by the pharmacy",
        "how do I stop the itch",
        "it hurts so much, make it stop",
        "when will the pain stop?",
    ],
)
def test_not_opt_outs(text: str) -> None:
    from bot.conversation.compliance import classify

    assert classify(text) is None


def test_twilio_opt_out_type_decides_when_sent() -> None:
    from bot.conversation.compliance import with_opt_out_type

    assert with_opt_out_type(None, "STOP") == "stop"
    assert with_opt_out_type("stop", "HELP") == "help"
    assert with_opt_out_type("stop", None) == "stop"
    assert with_opt_out_type(None, "something new") is None


def test_stop_with_an_emergency_opts_out_and_answers_it() -> None:
    from bot.conversation.pipeline import Context, Pipeline
    from content import load_content

    pl = Pipeline(load_content(), "NextSteps", "614-555-0100")
    decision = pl.decide("STOP. crushing chest pain right now", Context(status="active"))
    assert decision.consent == "opt_out" and decision.topic == "urgent"
    assert "911" in decision.body and "988" not in decision.body


def test_stop_is_never_lost_even_inside_a_reply_loop(app, phone: Phone) -> None:
    _patient(app)
    for _ in range(10):
        phone.text("Thanks!")  # an auto-responder hammering us
    assert phone.text("STOP")  # confirmation still goes out
    assert _status(app) == "stopped"


@pytest.mark.parametrize(
    ("key", "language", "musts"),
    [
        ("opt_in_request_bilingual", "en", ("HELP", "AYUDA", "YES", "SI", "STOP", "ALTO")),
        ("opt_in_request", "en", ("HELP", "YES", "STOP")),
        ("opt_in_request", "es", ("AYUDA", "SI", "ALTO")),
    ],
)
def test_the_opt_in_invitation_is_the_ctia_one_and_fits_two_segments(
    app, key: str, language: str, musts: tuple[str, ...]
) -> None:
    """HELP words, how many texts, "Msg & data rates may apply" (in each language the
    invitation speaks), within 2 GSM-7 segments."""
    from bot.sms.segments import segment_info

    content = app.extensions["nextsteps.content"].in_language(language)
    text = content.replies[key].format(program=app.config["PROGRAM_NAME"])
    for must in musts:
        assert re.search(rf"\b{must}\b", text), must
    english = "en" in language or key.endswith("bilingual")
    spanish = language == "es" or key.endswith("bilingual")
    assert ("Msg & data rates may apply" in text) is english
    assert ("Puede haber cargos por mensajes y datos" in text) is spanish
    assert ("msgs per scan" in text) is english and ("por escaner" in text) is spanish
    info = segment_info(text)
    assert info.encoding == "GSM-7" and info.segments <= 2
