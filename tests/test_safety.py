"""Red flags: urgent texts get 911/988/care team, are flagged, and beat every keyword."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation.safety import SELF_HARM, URGENT, red_flag
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
