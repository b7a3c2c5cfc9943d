"""Red flags: urgent texts get 911/988/care team, are flagged, and beat every keyword."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation.safety import BEREAVEMENT, SELF_HARM, URGENT, red_flag
from bot.extensions import db
from bot.models import Message
from tests.conftest import Phone

URGENT_TEXTS = [
    "I can't breathe",
    "cant breath",
    "I'm short of breath since this morning",
    "having trouble breathing",
    "chest pain and my heart is racing",
    "my chest hurts",
    "pressure in my chest",
    "I have had bad diarrhea for 3 days",
    "diarrhea 8 times today",
    "6 loose stools since breakfast",
    "vomiting and a fever of 101",
    "I have a fever and I keep throwing up",
    "there is blood in my stool",
    "coughing up blood",
    "I passed out this morning",
    "my temperature is 102",
    "My husband fainted",
    "I can't keep anything down",
    "TRIALS but also chest pain",
    "no fever but I can't breathe",
]
SELF_HARM_TEXTS = [
    "I want to kill myself",
    "i feel suicidal",
    "I want to end my life",
    "I don't want to live anymore",
    "thinking about hurting myself",
    "everyone would be better off dead without me",
]
NOT_URGENT = [
    "no chest pain",
    "I have no chest pain, just tired",
    "not short of breath",
    "I don't have a fever",
    "what side effects does immunotherapy cause?",
    "how do I stop the diarrhea",
    "I have no idea what hospice is",
    "TRIALS",
    "Thanks!",
    "I'm so scared",
]


@pytest.mark.parametrize("text", URGENT_TEXTS)
def test_urgent_red_flags(text: str) -> None:
    flag = red_flag(text)
    assert flag is not None and flag.family == URGENT, text


@pytest.mark.parametrize("text", SELF_HARM_TEXTS)
def test_self_harm_red_flags(text: str) -> None:
    flag = red_flag(text)
    assert flag is not None and flag.family == SELF_HARM, text


@pytest.mark.parametrize("text", NOT_URGENT)
def test_negations_and_ordinary_questions_do_not_trigger(text: str) -> None:
    assert red_flag(text) is None, text


def test_urgent_reply_sends_them_to_911_and_the_care_team(app, phone: Phone) -> None:
    reply = phone.text("chest pain and my heart is racing")
    assert "911" in reply and "614-555-0100" in reply and "care team" in reply
    with app.app_context():
        msg = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert msg.flag == "urgent" and msg.topic == "urgent" and msg.handled_at is None


def test_self_harm_reply_gives_988(app, phone: Phone) -> None:
    reply = phone.text("I want to end my life")
    assert "988" in reply and "911" in reply
    with app.app_context():
        msg = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert msg.flag == "self_harm"


def test_red_flag_wins_over_a_keyword(phone: Phone) -> None:
    assert "911" in phone.text("SIDE EFFECTS chest pain")


@pytest.mark.parametrize(
    "text",
    [
        "My husband passed away last night",
        "mom died this morning",
        "he has passed",
        "the funeral is on Friday, please stop the reminders for her",
    ],
)
def test_bereavement_is_recognised(text: str) -> None:
    flag = red_flag(text)
    assert flag is not None and flag.family == BEREAVEMENT, text


@pytest.mark.parametrize("text", ["he hasn't passed away", "am I going to die", "I passed my test"])
def test_not_bereavement(text: str) -> None:
    flag = red_flag(text)
    assert flag is None or flag.family != BEREAVEMENT


def test_bereavement_gets_condolences_and_a_staff_flag_but_no_status_change(app, phone) -> None:
    from bot.models import Patient

    with app.app_context():
        db.session.add(Patient(phone=phone.number, status="active"))
        db.session.commit()
    reply = phone.text("My wife passed away on Sunday")
    assert "sorry for your loss" in reply and "STOP" in reply
    with app.app_context():
        msg = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
        status = db.session.scalar(select(Patient.status))
    assert msg.flag == "bereavement" and status == "active"


def test_bereavement_from_a_stopped_number_is_silent_but_flagged(app, phone) -> None:
    from bot.models import Patient

    with app.app_context():
        db.session.add(Patient(phone=phone.number, status="stopped"))
        db.session.commit()
    assert phone.text("she died yesterday") is None
    with app.app_context():
        msg = db.session.scalars(select(Message).where(Message.direction == "inbound")).one()
    assert msg.flag == "bereavement" and msg.topic == "silenced"


def test_the_rule_shortcut_never_changes_an_answer() -> None:
    """Rules are skipped when the text lacks the words they need; over every corpus text,
    the answer is the same as running every rule."""
    import re

    from bot.conversation import safety, scope
    from bot.conversation.text import negated, normalize
    from bot.conversation.understanding import corpus

    def every_rule(text: str) -> safety.RedFlag | None:
        norm = normalize(text)
        for family in (SELF_HARM, URGENT, BEREAVEMENT):
            for pattern, _ in safety._COMPILED[family]:
                for match in re.finditer(pattern, norm):
                    if negated(norm, match.start()):
                        continue
                    if scope.out_of_scope(text, norm, *match.span(), family):
                        continue
                    return safety.RedFlag(family, match.group(0), safety._tier(family, match[0]))
        return None

    texts = [ex.text for ex in corpus.training_examples() + corpus.heldout_examples()]
    assert [red_flag(t) for t in texts] == [every_rule(t) for t in texts]
    shortcuts = [anchors for rules in safety._COMPILED.values() for _, anchors in rules]
    assert sum(a is not None for a in shortcuts) > len(shortcuts) / 2
