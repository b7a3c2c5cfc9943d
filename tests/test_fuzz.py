"""Arbitrary bodies and forms with valid signatures: never a 5xx, never a lost STOP."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from bot.extensions import db
from bot.models import Patient
from tests.conftest import Phone, inbound_form

FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
bodies = st.one_of(
    st.text(max_size=300),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1000, max_size=5000),
    st.sampled_from(["", " ", "\x00", "🙂🙂🙂", "STOP\u200b", "’’’", "%s%n", "{program}", "\r\n"]),
    st.text(alphabet="STOPstop !?.", max_size=12),
)


@FUZZ
@given(body=bodies)
def test_any_body_gets_a_sane_answer(client, body: str) -> None:
    resp = Phone(client).post(inbound_form(body))
    assert resp.status_code in (200, 400, 413), resp.status_code


@FUZZ
@given(
    fields=st.dictionaries(
        st.sampled_from(["Body", "From", "MessageSid", "SmsSid", "To", "NumMedia", "Junk"]),
        st.text(max_size=80),
        max_size=7,
    )
)
def test_any_form_gets_a_4xx_or_an_answer(client, fields: dict) -> None:
    resp = Phone(client).post(fields)
    assert resp.status_code < 500


@FUZZ
@given(noise=bodies)
def test_stop_is_never_lost_after_noise(app, client, noise: str) -> None:
    phone = Phone(client, "+16145550142")
    phone.post(inbound_form(noise, phone.number))
    phone.text("STOP")
    with app.app_context():
        status = db.session.scalar(select(Patient.status).where(Patient.phone == phone.number))
    assert status == "stopped"
    phone.text("START")  # reset for the next example (the database outlives it)
