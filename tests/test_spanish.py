"""Spanish end to end: a Spanish speaker reads every answer, service text and reminder in
Spanish; the language is detected, remembered, switchable and shown to staff."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import Message, Patient, Scan
from bot.reminders.message import compose_reminder
from bot.sms.segments import segment_info
from bot.timeutil import format_when
from content import load_content
from tests.conftest import Phone


def _say(app, key: str, language: str, **values: str) -> str:
    return app.extensions["nextsteps.pipeline"].render(key, language, **values)


def _topic(app, topic: str, language: str):  # noqa: ANN202
    return app.extensions["nextsteps.pipeline"].content.in_language(language).topics[topic]


def _in_spanish(app, reply: str, topic: str) -> bool:  # noqa: ANN001
    """The topic's Spanish overview, one of its cards' Spanish answers, or choices in Spanish."""
    cards = app.extensions["nextsteps.pipeline"].cards.cards
    answers = {c.answer["es"] for c in cards if c.topic == topic}
    overview = _topic(app, topic, "es").body
    return reply == overview or reply in answers or reply.startswith("¿Quiso decir: 1 ")


def _patient(app, phone: Phone, **fields) -> None:  # noqa: ANN003
    with app.app_context():
        db.session.add(Patient(phone=phone.number, status="active", **fields))
        db.session.commit()


def _language_of(app, phone: Phone) -> str | None:
    with app.app_context():
        return db.session.scalars(
            select(Patient.language).where(Patient.phone == phone.number)
        ).one()


def test_a_one_word_keyword_answers_in_its_own_language(app, phone: Phone) -> None:
    assert phone.text("HOSPICIO") == _topic(app, "hospice", "es").body
    assert phone.text("HOSPICE") == _topic(app, "hospice", "en").body
    with app.app_context():
        stored = db.session.execute(
            select(Message.direction, Message.language).order_by(Message.id)
        ).all()
    assert [tuple(r) for r in stored] == [
        ("inbound", "es"), ("outbound", "es"), ("inbound", "en"), ("outbound", "en")
    ]  # fmt: skip


def test_a_spanish_question_gets_a_spanish_answer_and_is_remembered(app, phone: Phone) -> None:
    _patient(app, phone)
    assert _in_spanish(app, phone.text("quiero saber de los estudios clinicos"), "trials")
    assert _language_of(app, phone) == "es"
    # An English command word from a Spanish speaker is answered in Spanish.
    assert phone.text("HELP") == _say(app, "help", "es")


def test_texting_espanol_or_english_switches(app, phone: Phone) -> None:
    _patient(app, phone, language="en")
    assert phone.text("ESPANOL") == _say(app, "language_set", "es")
    assert _language_of(app, phone) == "es"
    assert phone.text("ENGLISH") == _say(app, "language_set", "en")
    assert _language_of(app, phone) == "en"


def test_the_spanish_self_harm_reply_names_988_in_spanish(app, phone: Phone) -> None:
    reply = phone.text("ya no quiero vivir, estarian mejor sin mi")
    assert reply == _say(app, "urgent_self_harm", "es")
    assert "988" in reply and "español" in reply and "911" in reply
    assert segment_info(reply).encoding == "GSM-7"


def test_reply_json_says_the_language(runner) -> None:
    out = json.loads(runner.invoke(args=["reply", "--json", "me falta el aire"]).output)
    assert out["lang"] == "es" and out["topic"] == "urgent" and out["encoding"] == "GSM-7"
    out = json.loads(runner.invoke(args=["reply", "--json", "TRIALS"]).output)
    assert out["lang"] == "en"


def test_enroll_without_a_language_asks_in_both(app, runner) -> None:
    runner.invoke(args=["patients", "enroll", "+16145550123"])
    sent = app.extensions["nextsteps.transport"].sent[-1]["body"]
    assert sent == _say(app, "opt_in_request_bilingual", None)
    assert "YES" in sent and "SI" in sent and "STOP" in sent and "ALTO" in sent


def test_enroll_in_spanish_invites_in_spanish(app, runner) -> None:
    result = runner.invoke(args=["patients", "enroll", "+16145550123", "--lang", "es"])
    assert result.exit_code == 0, result.output
    assert app.extensions["nextsteps.transport"].sent[-1]["body"] == _say(
        app, "opt_in_request", "es"
    )
    bad = runner.invoke(args=["patients", "enroll", "+16145550124", "--lang", "fr"])
    assert bad.exit_code != 0


@pytest.mark.parametrize("discreet", [False, True])
def test_reminders_go_in_the_patients_language(app, now: datetime, discreet: bool) -> None:
    with app.app_context():
        patient = Patient(
            phone="+16145550123", status="active", language="es", discreet=discreet,
            timezone="America/Chicago",
        )  # fmt: skip
        scan = Scan(patient=patient, scheduled_at=datetime(2027, 1, 12, 15, 30), kind="PET")
        db.session.add_all([patient, scan])
        db.session.flush()
        body = compose_reminder(patient, scan, 0).body
    assert "el martes 12 de enero a las 9:30 AM" in body
    assert "ALTO" in body and "STOP" not in body
    assert ("escaner" in body) is not discreet
    assert segment_info(body).encoding == "GSM-7" and segment_info(body).segments <= 2


def test_dates_in_spanish_do_not_depend_on_the_machine_locale() -> None:
    when = datetime(2028, 2, 29, 16, 0)
    assert format_when(when, "America/New_York", "es") == "el martes 29 de febrero a las 11:00 AM"
    assert format_when(when, "America/New_York") == "Tue Feb 29 at 11:00 AM"


def test_spanish_days_are_written_in_full_and_stay_gsm_7() -> None:
    """Days and months in full ("mar 10 mar" read as "sea 10 sea"), no accent on a, i,
    o or u (GSM-7 has no í)."""
    wednesday = format_when(datetime(2026, 9, 30, 14, 30), "UTC", "es")
    assert wednesday == "el miercoles 30 de septiembre a las 2:30 PM"
    assert segment_info(wednesday).encoding == "GSM-7"
    saturday = format_when(datetime(2026, 10, 3, 14, 30), "UTC", "es")
    assert saturday.startswith("el sabado 3 de octubre")


def test_a_short_english_text_does_not_flip_a_spanish_speaker(app, phone: Phone) -> None:
    _patient(app, phone, language="es")
    phone.text("ok thanks")
    assert _language_of(app, phone) == "es"
    phone.text("can you tell me about clinical trials please")
    assert _language_of(app, phone) == "en"


# --- whole conversations through the signed webhook ------------------------------------


def test_a_spanish_conversation_from_opt_in_to_alto(app, runner, phone: Phone, now) -> None:  # noqa: ANN001
    from bot.models import Reminder

    result = runner.invoke(
        args=["patients", "enroll", phone.number, "--lang", "es", "--scan", "2027-01-20T09:30"]
    )
    assert result.exit_code == 0, result.output
    assert app.extensions["nextsteps.transport"].sent[-1]["body"] == _say(
        app, "opt_in_request", "es"
    )
    assert phone.text("si") == _say(app, "yes", "es")
    with app.app_context():
        reminders = db.session.scalars(select(Reminder.body)).all()
    assert reminders and all("ALTO" in body and "escaner" in body for body in reminders)
    assert all(segment_info(body).segments <= 2 for body in reminders)
    answer = phone.text("que es un ensayo clinico?")  # asked plainly: its card at once
    cards = app.extensions["nextsteps.pipeline"].cards
    card = next(c for c in cards.cards if c.answer["es"] == answer)
    assert card.label["es"] == "que es un ensayo clinico"
    assert phone.text("MAS") == cards.next_after(card.id).answer["es"]
    assert phone.text("ALTO") == _say(app, "stop", "es")
    assert _language_of(app, phone) == "es"
    with app.app_context():
        assert db.session.scalars(select(Patient.status)).one() == "stopped"
        assert set(db.session.scalars(select(Reminder.status))) == {"cancelled"}


def test_a_mixed_language_household_gets_each_text_in_its_language(app, phone: Phone) -> None:
    _patient(app, phone, language="es")
    # Mom writes in Spanish, her son in English, from the same number.
    assert _in_spanish(app, phone.text("mi mama quiere saber que es el hospicio"), "hospice")
    english = phone.text("what are palliative care options for my mom")
    assert english == _topic(app, "palliative", "en").body or english.startswith("Did you mean")
    assert phone.text("HOSPICIO") == _topic(app, "hospice", "es").body


SPANISH_INTENTS = [
    ("AYUDA", "help"),
    ("gracias por la informacion", "thanks"),
    ("cuanto tiempo le queda a mi papa?", "prognosis"),
    ("mi esposo fallecio anoche", "bereavement"),
    ("cuando es mi proximo escaner?", "next_scan"),
    ("me falta el aire y me duele el pecho", "urgent"),
    ("ya no quiero vivir", "urgent"),
    ("a que hora abre el estacionamiento del hospital?", "unknown"),
]


@pytest.mark.parametrize("text,topic", SPANISH_INTENTS)
def test_every_service_intent_answers_in_spanish(app, phone: Phone, text: str, topic: str) -> None:
    reply = phone.text(text)
    with app.app_context():
        row = db.session.execute(
            select(Message.topic, Message.language).where(Message.direction == "outbound")
        ).one()
    assert tuple(row) == (topic, "es")
    assert segment_info(reply).encoding == "GSM-7" and segment_info(reply).segments <= 2


@pytest.mark.parametrize(
    "topic_id", sorted(load_content().in_language("es").topics), ids=lambda t: t
)
def test_every_topic_answers_in_spanish_to_its_spanish_keyword(
    app, phone: Phone, topic_id: str
) -> None:
    topic = _topic(app, topic_id, "es")
    reply = phone.text(topic.keywords[0])
    assert reply.startswith(topic.body)  # and example questions, when they fit
    info = segment_info(reply)
    assert info.encoding == "GSM-7" and info.segments <= 2
