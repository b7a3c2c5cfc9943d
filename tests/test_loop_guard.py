"""An auto-responder must not start a reply storm."""

from __future__ import annotations

from sqlalchemy import select

from bot.extensions import db
from bot.models import Message
from tests.conftest import Phone


def test_the_same_text_again_and_again_stops_getting_replies(app, phone: Phone) -> None:
    replies = [phone.text("I am away from my phone. I will reply later.") for _ in range(8)]
    assert all(replies[:3])
    assert replies[3:] == [None] * 5
    with app.app_context():
        statuses = db.session.scalars(
            select(Message.status).where(Message.direction == "inbound").order_by(Message.id)
        ).all()
    assert statuses.count("muted") == 5  # stored, not lost


def test_many_different_texts_a_minute_stop_getting_replies(phone: Phone) -> None:
    replies = [phone.text(f"auto reply number {i}") for i in range(10)]
    assert all(replies[:6])
    assert replies[6:] == [None] * 4


def test_a_flood_longer_than_the_history_read_gets_no_more_replies(phone: Phone) -> None:
    """60 different texts in a minute: the muted ones push our 6 replies out of the 30
    rows read per text, but the minute's replies are counted, so none leaks through."""
    replies = [phone.text(f"auto reply number {i}") for i in range(60)]
    assert sum(1 for r in replies if r) == 6


def test_a_different_number_is_not_affected(client, phone: Phone) -> None:
    for _ in range(8):
        phone.text("Out of office")
    assert Phone(client, "+16145550999").text("Out of office")


def test_a_red_flag_after_many_texts_still_gets_its_reply(app, phone: Phone) -> None:
    for i in range(8):
        phone.text(f"question number {i}")
    assert "911" in phone.text("I can't breathe")


def test_a_repeated_red_flag_is_muted_but_every_copy_is_flagged(app, phone: Phone) -> None:
    replies = [phone.text("I can't breathe") for _ in range(5)]
    assert all(replies[:3]) and replies[3:] == [None, None]
    with app.app_context():
        flags = db.session.scalars(select(Message.flag).where(Message.flag.is_not(None))).all()
    assert flags == ["urgent"] * 5
