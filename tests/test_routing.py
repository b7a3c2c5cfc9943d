"""Keywords, typos and plain questions reach the right topic; unsure -> the menu."""

from __future__ import annotations

import csv
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.extensions import db
from bot.models import Message, Patient, Scan, utcnow
from tests.conftest import DATA, Phone


def _eval_rows() -> list[tuple[str, set[str]]]:
    rows = []
    with (DATA / "inbound-examples.tsv").open(encoding="utf-8") as fh:
        for row in csv.reader(fh, delimiter="\t"):
            if row and not row[0].startswith("#"):
                rows.append((row[0], set(row[1].split("|"))))
    return rows


EVAL = _eval_rows()


def test_eval_file_is_there() -> None:
    assert len(EVAL) >= 50


@pytest.mark.parametrize("text,expected", EVAL, ids=[t for t, _ in EVAL])
def test_every_eval_text_reaches_its_topic_through_the_webhook(
    app, client, text: str, expected: set[str]
) -> None:
    phone = Phone(client, "+16145550199")
    if "yes" in expected:  # YES only means something to a pending enrollment
        with app.app_context():
            db.session.add(Patient(phone=phone.number, status="pending"))
            db.session.commit()
    reply = phone.text(text)
    assert reply, "every eval text gets a reply"
    with app.app_context():
        topic = db.session.scalar(
            select(Message.topic).where(Message.direction == "inbound").order_by(Message.id.desc())
        )
    assert topic in expected


# Not in the eval file: other ways patients say the same things.
PARAPHRASES = [
    ("is there a study I can be part of", "trials"),
    ("are there experimental drugs for me", "trials"),
    ("Hospise", "hospice"),
    ("can hospice come to my house", "hospice"),
    ("side efects", "side_effects"),
    ("SIDE EFFECT", "side_effects"),
    ("Side-effects??", "side_effects"),
    ("my skin is itchy and I have a rash after treatment", "side_effects"),
    ("palative care", "palliative"),
    ("does palliative mean I'm dying", "palliative"),
    ("OPTIONS pls", "treatment_options"),
    ("what about radiation instead", "treatment_options"),
    ("how often will I get a CT", "scans"),
    ("scna", "scans"),
    ("what is the success rate", "works"),
    ("tumor got bigger on the scan, is it failing", "pseudoprogression"),
    ("why isn't my treatment working anymore", "why_stopped"),
    ("what questions should I bring to my appointment", "questions"),
    ("I'm terrified and can't sleep", "coping"),
    ("feeling anxious and sad", "coping"),
    ("when's my next appointment", "next_scan"),
    ("Menu", "unknown"),
]


@pytest.mark.parametrize("text,topic", PARAPHRASES)
def test_paraphrases_and_typos(phone: Phone, app, text: str, topic: str) -> None:
    phone.text(text)
    with app.app_context():
        got = db.session.scalar(
            select(Message.topic).where(Message.direction == "inbound").order_by(Message.id.desc())
        )
    assert got == topic


@pytest.mark.parametrize(
    "text", ["what's the weather tomorrow", "asdfgh", "???", "table", "my cat walked on the phone"]
)
def test_unsure_gets_the_closest_topics_not_a_medical_answer(app, phone: Phone, text: str) -> None:
    reply = phone.text(text)
    assert reply.startswith("Sorry, we didn't understand. Did you mean")
    assert "MENU" in reply and "911" in reply
    topics = app.extensions["nextsteps.pipeline"].content.topics.values()
    assert sum(t.keywords[0] in reply for t in topics) == 3  # three choices, not the menu


def test_unanswered_real_questions_are_flagged_for_staff(app, phone: Phone) -> None:
    phone.text("can my dog come with me to the infusion center?")
    phone.text("hello")
    with app.app_context():
        flags = [
            m.flag
            for m in db.session.scalars(
                select(Message).where(Message.direction == "inbound").order_by(Message.id)
            )
        ]
    assert flags == ["unanswered", None]


def test_more_continues_the_last_topic_then_says_done(phone: Phone, app) -> None:
    pipeline = app.extensions["nextsteps.pipeline"]
    first = phone.text("HOSPICE")
    assert first == pipeline.content.topics["hospice"].body
    assert phone.text("MORE") == pipeline.content.topics["hospice"].more
    assert "all we have" in phone.text("more")


def test_more_with_nothing_before_asks_for_a_topic(phone: Phone) -> None:
    assert "topic first" in phone.text("MORE")


def test_next_without_a_scan_explains_reminders(phone: Phone) -> None:
    assert "care team" in phone.text("NEXT")


def test_next_with_a_scan_gives_local_date_and_time(app, phone: Phone) -> None:
    with app.app_context():
        patient = Patient(phone=phone.number, status="active", timezone="America/Chicago")
        db.session.add(patient)
        db.session.flush()
        when = (utcnow() + timedelta(days=10)).replace(hour=15, minute=30, second=0)
        db.session.add(Scan(patient_id=patient.id, scheduled_at=when, kind="PET"))
        db.session.commit()
    reply = phone.text("NEXT")
    from bot.timeutil import format_when

    assert "PET" in reply and format_when(when, "America/Chicago") in reply
