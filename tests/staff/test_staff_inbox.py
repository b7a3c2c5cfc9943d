"""The flagged-texts inbox: what needs a person, most serious first."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient

from bot.extensions import db
from bot.models import INBOUND, Message, utcnow
from tests.conftest import Phone

from .helpers import Clinic


def _flagged(
    app: Flask, body: str, flag: str, minutes_ago: int, phone: str = "+16145550177"
) -> int:
    with app.app_context():
        msg = Message(
            direction=INBOUND,
            phone=phone,
            body=body,
            status="received",
            flag=flag,
            created_at=utcnow() - timedelta(minutes=minutes_ago),
        )
        db.session.add(msg)
        db.session.commit()
        return msg.id


def _badge(page: str) -> int | None:
    match = re.search(r'<span class="badge"[^>]*>(\d+)</span>', page)
    return int(match.group(1)) if match else None


def test_real_texts_land_in_the_inbox_most_serious_first(
    app: Flask, staff_client: FlaskClient, client: FlaskClient, clinic: Clinic
) -> None:
    phone = Phone(client, clinic.phone)
    phone.text("can my dog come with me to the infusion center?")  # unanswered question
    phone.text("I want to end my life")  # self-harm
    _flagged(app, "old urgent: chest pain", "urgent", minutes_ago=90)
    page = staff_client.get("/staff/inbox").get_data(as_text=True)
    bodies = ["end my life", "chest pain", "t breathe", "infusion center?"]
    positions = [page.index(b) for b in bodies]
    # self-harm, then urgent newest first (the clinic's "can't breathe" is newest), then the rest
    assert positions[0] < min(positions[1:])
    assert page.index("t breathe") < page.index("chest pain") < page.index("infusion center?")
    assert f'href="/staff/patients/{clinic.patient_id}"' in page
    assert clinic.phone in page


def test_a_review_sits_below_urgent_and_above_the_rest(
    app: Flask, staff_client: FlaskClient
) -> None:
    _flagged(app, "unsure one", "review", minutes_ago=120)
    _flagged(app, "a question", "unanswered", minutes_ago=1)
    _flagged(app, "opted out, chest pain", "call_opted_out", minutes_ago=200)
    _flagged(app, "urgent one", "urgent", minutes_ago=300)
    page = staff_client.get("/staff/inbox").get_data(as_text=True)
    # urgent and call_opted_out newest first, then the review, then the rest
    order = ["opted out, chest pain", "urgent one", "unsure one", "a question"]
    assert [page.index(b) for b in order] == sorted(page.index(b) for b in order)


def test_a_number_not_enrolled_is_shown_by_its_number(
    app: Flask, staff_client: FlaskClient
) -> None:
    _flagged(app, "chest pain", "urgent", 1, phone="+13125550166")
    page = staff_client.get("/staff/inbox").get_data(as_text=True)
    assert "not enrolled: +13125550166" in page


def test_handling_needs_a_note_and_lowers_the_nav_count(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    other = _flagged(app, "my chest hurts", "urgent", 5)
    assert _badge(staff_client.get("/staff/patients").get_data(as_text=True)) == 2

    no_note = staff_client.post(
        f"/staff/inbox/{other}/handle", data={"note": " "}, follow_redirects=True
    )
    assert "Add a short note" in no_note.get_data(as_text=True)
    assert _badge(no_note.get_data(as_text=True)) == 2

    done = staff_client.post(
        f"/staff/inbox/{other}/handle",
        data={"note": "Called, sent to urgent care"},
        follow_redirects=True,
    )
    page = done.get_data(as_text=True)
    assert "Marked handled" in page and _badge(page) == 1
    assert "my chest hurts" not in page  # gone from the to-do list...
    handled = staff_client.get("/staff/inbox?handled=1").get_data(as_text=True)
    assert "my chest hurts" in handled and "Called, sent to urgent care" in handled  # ...kept here
    assert "nurse@clinic.example" in handled


def test_handling_twice_keeps_the_first_note(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    url = f"/staff/inbox/{clinic.message_id}/handle"
    staff_client.post(url, data={"note": "first"})
    second = staff_client.post(url, data={"note": "second"}, follow_redirects=True)
    assert "Someone else marked this one handled first" in second.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Message, clinic.message_id).handled_note == "first"


def test_no_badge_when_nothing_to_handle(staff_client: FlaskClient) -> None:
    page = staff_client.get("/staff/inbox").get_data(as_text=True)
    assert _badge(page) is None and "Nothing to handle." in page


def test_only_flagged_inbound_texts_can_be_handled(app: Flask, staff_client: FlaskClient) -> None:
    with app.app_context():
        plain = Message(direction=INBOUND, phone="+16145550177", body="thanks", status="received")
        db.session.add(plain)
        db.session.commit()
        plain_id = plain.id
    assert (
        staff_client.post(f"/staff/inbox/{plain_id}/handle", data={"note": "x"}).status_code == 404
    )
