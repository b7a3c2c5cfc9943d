"""Red flags: urgent texts get 911/988/care team, are flagged, and beat every keyword."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.conversation.safety import BEREAVEMENT, SELF_HARM, URGENT, red_flag
from bot.extensions import db
from bot.models import Message
from bot.patients.status import Tier
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


def test_the_rule_shortcut_never_changes_an_answer(monkeypatch) -> None:
    """Rules are skipped when the text lacks the words they need; over every corpus text,
    the answer is the same as running every rule."""
    from bot.conversation import safety
    from bot.conversation.understanding import corpus

    texts = [ex.text for ex in corpus.training_examples() + corpus.heldout_examples()]
    fast = [red_flag(t) for t in texts]
    shortcuts = [anchors for rules in safety._COMPILED.values() for _, anchors in rules]
    assert sum(a is not None for a in shortcuts) > len(shortcuts) / 2
    every_rule = {f: [(p, None) for p, _ in rules] for f, rules in safety._COMPILED.items()}
    monkeypatch.setattr(safety, "_COMPILED", every_rule)
    assert [red_flag(t) for t in texts] == fast


@pytest.mark.parametrize(
    "text",
    [
        "had a fever of 101 last week, fine now",
        "my dog had a seizure last night",
        "that game nearly gave me a heart attack",
        "my friend's husband had a heart attack",
        "my phone just died",
        "what if I get a fever of 101?",
        "dead tired after the drive",
        "a faint rash on my arm",
        "Merry Christmas! the party was to die for, killed it",
        "the diarrhea stopped yesterday, 6 times a day before that",
    ],
)
def test_red_flags_out_of_scope_do_not_count(text: str) -> None:
    assert red_flag(text) is None, text


@pytest.mark.parametrize(
    "text",
    [
        "my dog had a seizure but I can't breathe",
        "my mom can't breathe",
        "cough worse than last week and now I'm wheezing",
        "my husband has a temp of 101.5, he finished his infusion 2 weeks ago",
        "Happy Thanksgiving. My chest hurts since this morning",
    ],
)
def test_red_flags_in_scope_still_count(text: str) -> None:
    flag = red_flag(text)
    assert flag is not None and flag.family == URGENT, text


def test_tiers_911_signs_are_emergencies_the_rest_call_now() -> None:
    assert red_flag("my lips are swelling").tier == Tier.EMERGENCY
    assert red_flag("fever of 101.3").tier == Tier.CALL_NOW
    assert red_flag("diarrea 8 veces hoy").tier == Tier.CALL_NOW
    # A 911 sign that has passed still means calling the care team now.
    assert red_flag("I fainted in the kitchen, fine now").tier == Tier.CALL_NOW


@pytest.mark.parametrize(
    "text",
    ["unsubscribe me from life", "opt me out of everything", "quiero darme de baja de la vida"],
)
def test_an_opt_out_from_life_is_self_harm(text: str) -> None:
    assert red_flag(text).family == SELF_HARM


def test_self_harm_is_only_scoped_out_as_a_fixed_figure() -> None:
    assert red_flag("my dad said after the PET scan he'll shoot himself, he has guns")
    assert red_flag("I need a glue gun for the kids' project") is None


@pytest.mark.parametrize(
    "text",
    [
        "fever of one hundred point six, what do I do",
        "tengo fiebre de cien punto cinco",
        "mi esposa tiene calentura de ciento uno punto cuatro",
        "temperature is a hundred and two degrees",
        "fiebre de treinta y ocho y medio desde la manana",
        "temp thirty nine point 2",
        "his fever is one hundred and one and a half",
    ],
)
def test_a_fever_dictated_in_words_is_read_as_its_number(text: str) -> None:
    flag = red_flag(text)
    assert flag is not None and flag.family == URGENT and flag.tier == Tier.CALL_NOW, text


@pytest.mark.parametrize(
    "text",
    [
        "fever of ninety nine point one",
        "tuve fiebre de treinta y ocho y medio la semana pasada",
        "one loose stool today and a bit tired",
        "I told him a hundred times to drink water",
    ],
)
def test_numbers_in_words_below_a_fever_or_past_do_not_count(text: str) -> None:
    assert red_flag(text) is None, text


@pytest.mark.parametrize(
    ("said", "read"),
    [
        ("one hundred point six", "100 6"),
        ("ciento uno punto cuatro", "101 4"),
        ("treinta y ocho y medio", "38 5"),
        ("a hundred and two and a half", "102 5"),
        ("thirty nine point 2 now", "39 2 now"),
        ("seven times and two more", "seven times and two more"),
        ("point five", "point five"),
        ("one and", "one and"),
        ("no numbers here", "no numbers here"),
        ("forty point", "40 point"),
    ],
)
def test_spoken_numbers_become_digits_only_where_they_read_as_a_temperature(
    said: str, read: str
) -> None:
    from bot.conversation.spoken import digits

    assert digits(said) == read


@pytest.mark.parametrize(
    ("text", "family"),
    [
        ("quiero dejar de existir", SELF_HARM),
        ("I just want to disappear. like for good", SELF_HARM),
        ("mejor me mato yo antes de que me mate esto", SELF_HARM),
        ("que dosis de la morfina es mortal", SELF_HARM),
        ("how many pills would it take", SELF_HARM),
        ("can you die if you take all your sleeping pills at once", SELF_HARM),
        ("what if I use all my fentanyl patches at once", SELF_HARM),
        ("this is my goodbye", SELF_HARM),
        ("dice que se va a tirar del puente", SELF_HARM),
        ("i need somebody to talk me out of it", SELF_HARM),
        ("the sooner i'm gone the better for everyone", SELF_HARM),
        ("me volvi a cortar los brazos", SELF_HARM),
        ("sleep forever sounds nice right now", SELF_HARM),
        ("se le cayo la cara de un lado y no puede hablar", URGENT),
        ("half of his face went numb", URGENT),
        ("her smile looks crooked all of a sudden", URGENT),
        ("his words keep coming out all wrong", URGENT),
        ("mom keeps forgetting where she is", URGENT),
        ("mi papa se perdio manejando a su casa", URGENT),
        ("habla puras incoherencias desde anoche", URGENT),
        ("my legs went numb an hour ago", URGENT),
        ("no tiene fuerza en el brazo izquierdo", URGENT),
        ("the port site is bleeding a lot, soaked through 3 gauze pads", URGENT),
        ("vomita todo lo que come", URGENT),
        ("3 bowel movements today with blood", URGENT),
        ("he collapsed in the kitchen", URGENT),
        ("no me alcanza el aliento", URGENT),
        ("fver 101 and chills", URGENT),
        ("his skin has gone yellowish since monday", URGENT),
        ("I cant walk to the mailbox without getting winded", URGENT),
        ("no puede hablar sin ahogarse", URGENT),
    ],
)
def test_indirect_wordings_and_red_flags_by_organ_are_caught(text: str, family: str) -> None:
    flag = red_flag(text)
    assert flag is not None and flag.family == family, text


@pytest.mark.parametrize(
    "text",
    [
        "me mato de risa con ese video",
        "I got lost driving to the clinic, where do I park?",
        "my dog collapsed after the walk but he is fine",
        "si algun dia tengo dolor de pecho llamo al 911 o a ustedes?",
        "I can walk to the mailbox without getting winded now",
        "the leaves have turned yellow, fall is here",
    ],
)
def test_new_rules_keep_their_scopes(text: str) -> None:
    assert red_flag(text) is None, text


def test_a_911_sign_that_got_better_is_still_a_call_now() -> None:
    flag = red_flag("la falta de aire ya mejoro mucho con los esteroides")
    assert flag is not None and flag.tier == Tier.CALL_NOW
