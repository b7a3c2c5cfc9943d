"""POST /sms and /sms/status at the HTTP edge: signatures, dedupe, bad input."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

import pytest
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import Message, Patient
from tests.conftest import DATA, Phone, inbound_form, reply_of, sign


def _real_form() -> dict:
    text = (DATA / "twilio" / "inbound-sms.form").read_text().strip()
    return dict(parse_qsl(text, keep_blank_values=True))


def test_real_shaped_request_signed_by_twilio_library_gets_an_answer(phone: Phone) -> None:
    resp = phone.post(_real_form())
    assert resp.status_code == 200
    assert resp.mimetype == "application/xml"
    assert "flu" in reply_of(resp.data)  # "Side effects?" -> the side effects answer


def test_unsigned_request_is_forbidden(client) -> None:
    resp = client.post("/sms", data=inbound_form("STOP"))
    assert resp.status_code == 403


def test_forged_signature_is_forbidden_and_stores_nothing(app, client) -> None:
    form = inbound_form("STOP")
    bad = sign("http://localhost/sms", form, token="not_the_real_token")
    resp = client.post("/sms", data=form, headers={"X-Twilio-Signature": bad})
    assert resp.status_code == 403
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 0


def test_tampered_body_is_forbidden(client) -> None:
    form = inbound_form("TRIALS")
    signature = sign("http://localhost/sms", form)
    form["Body"] = "STOP"
    resp = client.post("/sms", data=form, headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 403


def test_no_auth_token_configured_means_nothing_validates(app_config, database_uri) -> None:
    from bot import create_app

    app_config["TWILIO_AUTH_TOKEN"] = ""
    client = create_app(app_config).test_client()
    form = inbound_form("TRIALS")
    resp = client.post("/sms", data=form, headers={"X-Twilio-Signature": sign("x", form)})
    assert resp.status_code == 403


def test_https_url_behind_a_tls_proxy_validates(client) -> None:
    # Twilio signed https://bot.example.org/sms; the app sees plain http from the proxy.
    form = inbound_form("HOSPICE")
    signature = sign("https://bot.example.org/sms", form)
    headers = {
        "X-Twilio-Signature": signature,
        "X-Forwarded-Proto": "https",
        "X-Forwarded-Host": "bot.example.org",
    }
    resp = client.post("/sms", data=form, headers=headers)
    assert resp.status_code == 200
    assert "comfortable" in reply_of(resp.data)
    # Without the proxy headers the same signature does not match the URL we see.
    form2 = inbound_form("HOSPICE")
    resp = client.post(
        "/sms",
        data=form2,
        headers={"X-Twilio-Signature": sign("https://bot.example.org/sms", form2)},
    )
    assert resp.status_code == 403


def test_public_base_url_is_the_signed_url(app_config, database_uri) -> None:
    from bot import create_app

    app_config["PUBLIC_BASE_URL"] = "https://texts.clinic.example"
    client = create_app(app_config).test_client()
    form = inbound_form("TRIALS")
    signature = sign("https://texts.clinic.example/sms?src=tw", form)
    resp = client.post("/sms?src=tw", data=form, headers={"X-Twilio-Signature": signature})
    assert resp.status_code == 200


def test_query_string_params_are_not_signed_nor_read_as_the_body(phone: Phone) -> None:
    # request.values would merge ?Body=... into the signed params; we sign request.form only.
    form = inbound_form("TRIALS")
    signature = sign("http://localhost/sms?Body=x", form)
    resp = phone.client.post(
        "/sms?Body=x",
        data=urlencode(form),
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": signature},
    )
    assert resp.status_code == 200
    assert "trial" in reply_of(resp.data).lower()  # the form's TRIALS, not the query's "x"


def test_retried_webhook_is_stored_once_and_answered_the_same(app, phone: Phone) -> None:
    sid = "SM" + "a" * 32
    first = phone.text("TRIALS", sid=sid)
    second = phone.text("TRIALS", sid=sid)
    assert first and first == second
    with app.app_context():
        inbound = db.session.scalar(select(func.count(Message.id)).where(Message.twilio_sid == sid))
        replies = db.session.scalar(
            select(func.count(Message.id)).where(Message.reply_to_id.is_not(None))
        )
    assert inbound == 1 and replies == 1


def test_retried_stop_is_recorded_once_and_confirmed_the_same(app, phone: Phone) -> None:
    sid = "SM" + "b" * 32
    assert "unsubscribed" in phone.text("STOP", sid=sid)
    assert "unsubscribed" in phone.text("STOP", sid=sid)  # same answer, not silence
    with app.app_context():
        from bot.models import ConsentEvent

        assert db.session.scalar(select(func.count(ConsentEvent.id))) == 1


def test_missing_fields_get_a_4xx(phone: Phone) -> None:
    form = inbound_form("TRIALS")
    del form["From"]
    assert phone.post(form).status_code == 400
    form = inbound_form("TRIALS")
    for key in ("MessageSid", "SmsSid", "SmsMessageSid"):
        del form[key]
    assert phone.post(form).status_code == 400


def test_missing_body_gets_a_reply_offering_the_menu(phone: Phone) -> None:
    form = inbound_form("x")
    del form["Body"]
    resp = phone.post(form)
    assert resp.status_code == 200
    assert "MENU" in reply_of(resp.data)


def test_body_over_the_size_limit_is_413_not_500(phone: Phone) -> None:
    form = inbound_form("A" * 70_000)
    assert phone.post(form).status_code == 413


def test_sql_looking_text_is_just_text(app, phone: Phone) -> None:
    reply = phone.text("'); DROP TABLE patients; --")
    assert reply and "MENU" in reply
    with app.app_context():
        assert db.session.scalar(select(func.count(Patient.id))) == 0  # table still there


def test_garbage_form_encoding_is_refused_with_a_4xx_and_stores_nothing(app, client) -> None:
    raw = b"%ZZ%%Body=\xff\xfe&From=%2B1&&&"
    resp = client.post(
        "/sms",
        data=raw,
        content_type="application/x-www-form-urlencoded",
        headers={"X-Twilio-Signature": "abc"},
    )
    assert resp.status_code in (400, 403)
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 0


def _status_form(sid: str, status: str, code: str | None = None) -> dict:
    form = dict(parse_qsl((DATA / "twilio" / "status-callback.form").read_text().strip()))
    form.update(MessageSid=sid, SmsSid=sid, MessageStatus=status, SmsStatus=status)
    if code:
        form["ErrorCode"] = code
    return form


def _outbound(app, sid: str, phone_number: str = "+16145550123") -> None:
    with app.app_context():
        patient = Patient(phone=phone_number, status="active")
        db.session.add(patient)
        db.session.flush()
        db.session.add(
            Message(
                direction="outbound",
                phone=phone_number,
                patient_id=patient.id,
                body="hi",
                twilio_sid=sid,
                status="queued",
            )
        )
        db.session.commit()


def _status_of(app, sid: str) -> str:
    with app.app_context():
        return db.session.scalar(select(Message.status).where(Message.twilio_sid == sid))


def test_status_callbacks_never_move_backwards(app, phone: Phone) -> None:
    sid = "SM" + "c" * 32
    _outbound(app, sid)
    for status in ("sent", "delivered", "sent", "sending"):
        resp = phone.post(_status_form(sid, status), path="/sms/status")
        assert resp.status_code == 204
    assert _status_of(app, sid) == "delivered"


def test_status_callback_must_be_signed(app, client) -> None:
    sid = "SM" + "d" * 32
    _outbound(app, sid)
    resp = client.post("/sms/status", data=_status_form(sid, "delivered"))
    assert resp.status_code == 403
    assert _status_of(app, sid) == "queued"


def test_undelivered_to_a_landline_flags_the_patient(app, phone: Phone) -> None:
    sid = "SM" + "e" * 32
    _outbound(app, sid)
    resp = phone.post(_status_form(sid, "undelivered", "30006"), path="/sms/status")
    assert resp.status_code == 204
    with app.app_context():
        patient = db.session.scalars(select(Patient)).one()
        assert "30006" in patient.flag_reason
        assert patient.status == "active"


def test_status_callback_for_an_unknown_sid_is_accepted_quietly(phone: Phone) -> None:
    resp = phone.post(_status_form("SM" + "f" * 32, "delivered"), path="/sms/status")
    assert resp.status_code == 204


@pytest.mark.parametrize(
    ("said", "kept"),
    [
        ("read", "delivered"),
        ("partially_delivered", "delivered"),
        ("canceled", "failed"),
        ("scheduled", "queued"),
        ("received", "queued"),
    ],
)
def test_every_twilio_status_is_accepted_as_the_nearest_of_ours(
    app, phone: Phone, said: str, kept: str
) -> None:
    sid = "SM" + "2" * 32
    _outbound(app, sid)
    resp = phone.post(_status_form(sid, said), path="/sms/status")
    assert resp.status_code == 204
    assert _status_of(app, sid) == kept


def test_status_callback_with_a_bogus_status_is_400(phone: Phone) -> None:
    resp = phone.post(_status_form("SM" + "1" * 32, "exploded"), path="/sms/status")
    assert resp.status_code == 400


def test_twiml_is_what_the_twilio_library_writes() -> None:
    from twilio.twiml.messaging_response import MessagingResponse

    from bot.sms.webhook import _twiml

    for body in (None, "", "Hi & <you> \"quoted\" 'x'\nnext line", "Si, ¿como esta? ]]>"):
        expected = MessagingResponse()
        if body:
            expected.message(body)
        assert _twiml(body).get_data(as_text=True) == str(expected)


def test_one_hmac_against_public_base_url_agrees_with_the_twilio_library(app_config) -> None:
    from bot import create_app

    app_config["PUBLIC_BASE_URL"] = "https://texts.clinic.example"
    client = create_app(app_config).test_client()
    for path in ("/sms", "/sms?a=1&b=%C3%A9"):
        form = inbound_form("ÑAÑA & más", from_="+16145550199")
        good = sign("https://texts.clinic.example" + path, form)
        headers = {"X-Twilio-Signature": good}
        assert client.post(path, data=form, headers=headers).status_code == 200
        form["Body"] = "STOP"
        assert client.post(path, data=form, headers=headers).status_code == 403
    # A signature over the URL the app sees (not the public one) is refused.
    form = inbound_form("TRIALS")
    headers = {"X-Twilio-Signature": sign("http://localhost/sms", form)}
    assert client.post("/sms", data=form, headers=headers).status_code == 403


@pytest.mark.parametrize(
    "sid",
    ["SM1", "SM" + "A" * 32, "XX" + "a" * 32, "SM" + "a" * 33, "SMa" + "a" * 30 + "&x"],
)
def test_a_sid_not_in_twilios_shape_is_400_and_stores_nothing(app, phone: Phone, sid) -> None:
    resp = phone.post(inbound_form("STOP", sid=sid))
    assert resp.status_code == 400
    with app.app_context():
        assert db.session.scalars(select(Message)).all() == []


def test_another_accounts_text_is_400_and_stores_nothing(app, phone: Phone) -> None:
    app.config["TWILIO_ACCOUNT_SID"] = "AC" + "9" * 32
    resp = phone.post(inbound_form("STOP"))
    assert resp.status_code == 400 and b"AccountSid" in resp.data
    with app.app_context():
        assert db.session.scalars(select(Message)).all() == []


def test_twilio_opt_out_type_decides_whether_a_text_is_an_opt_out(app, phone: Phone) -> None:
    """Advanced Opt-Out: Twilio's OptOutType (STOP, START, HELP) decides, even for words
    our rules would not read as an opt-out; an emergency in the text is still answered."""
    from bot.models import ConsentEvent

    form = {
        **inbound_form("please leave us be, my chest hurts", phone.number),
        "OptOutType": "STOP",
    }
    reply = reply_of(phone.post(form).data)
    assert "911" in reply
    form = {**inbound_form("stop. who is this", phone.number), "OptOutType": "HELP"}
    assert reply_of(phone.post(form).data) is None  # help for a stopped number: silence
    with app.app_context():
        kinds = db.session.scalars(select(ConsentEvent.event)).all()
        flags = db.session.scalars(select(Message.flag).where(Message.flag.is_not(None))).all()
    assert kinds == ["opt_out"] and flags == ["urgent"]
