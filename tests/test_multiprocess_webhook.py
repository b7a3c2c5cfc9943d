"""Two gunicorn workers receiving the same retried MessageSid at once: stored once,
answered consistently. Real processes, real database (SQLite or PostgreSQL)."""

from __future__ import annotations

import threading
import urllib.request
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import ConsentEvent, Message
from tests.conftest import AUTH_TOKEN, inbound_form, reply_of, sign
from tests.procs import gunicorn

pytestmark = pytest.mark.slow


def _post(url: str, form: dict, out: list, barrier: threading.Barrier) -> None:
    data = urlencode(form).encode()
    req = urllib.request.Request(
        url, data=data, headers={"X-Twilio-Signature": sign(url, form)}, method="POST"
    )
    barrier.wait()
    with urllib.request.urlopen(req, timeout=30) as resp:
        out.append((resp.status, resp.read()))


def test_same_message_sid_at_once_on_two_workers(app, database_uri: str) -> None:
    env = {"DATABASE_URL": database_uri, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    rounds = 25
    with gunicorn("bot:create_web_app()", env, workers=2, threads=4) as (base, _):
        for i in range(rounds):
            # Alternate a question and a STOP: both must be applied exactly once.
            body = "STOP" if i % 5 == 4 else "hospice at home?"
            form = inbound_form(body, from_=f"+1614555{i:04d}", sid=f"SM{i:032x}")
            out: list = []
            barrier = threading.Barrier(4)
            threads = [
                threading.Thread(target=_post, args=(base + "/sms", form, out, barrier))
                for _ in range(4)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert [status for status, _ in out] == [200] * 4
            assert len({reply_of(body) for _, body in out}) == 1, out
            assert reply_of(out[0][1])  # never an empty answer for a first-time text
    with app.app_context():
        inbound = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "inbound")
        )
        replies = db.session.scalar(
            select(func.count()).select_from(Message).where(Message.reply_to_id.is_not(None))
        )
        opt_outs = db.session.scalar(select(func.count()).select_from(ConsentEvent))
    assert inbound == rounds and replies == rounds
    assert opt_outs == rounds // 5


def test_new_numbers_racing_themselves_lose_no_text(app, database_uri: str) -> None:
    """30 new numbers, 4 texts each (2 of them STOPs) at the same moment across workers:
    the patient record one STOP creates makes the others' insert conflict. Only a repeated
    MessageSid is a twin; every other conflict is retried, so all 120 are stored."""
    env = {"DATABASE_URL": database_uri, "TWILIO_AUTH_TOKEN": AUTH_TOKEN}
    forms = [
        inbound_form(body, from_=f"+1312555{n:04d}")
        for n in range(30)
        for body in ("STOP", "stop texting me", "STOP", "TRIALS")
    ]
    out: list = []
    with gunicorn("bot:create_web_app()", env, workers=4, threads=4) as (base, _):
        for start in range(0, len(forms), 8):
            batch = forms[start : start + 8]
            barrier = threading.Barrier(len(batch))
            threads = [
                threading.Thread(target=_post, args=(base + "/sms", form, out, barrier))
                for form in batch
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    assert [status for status, _ in out] == [200] * len(forms)
    with app.app_context():
        stored = set(
            db.session.scalars(select(Message.twilio_sid).where(Message.direction == "inbound"))
        )
    assert stored == {form["MessageSid"] for form in forms}
