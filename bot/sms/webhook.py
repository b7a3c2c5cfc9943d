"""The SMS edge: POST /sms (inbound texts) and POST /sms/status (delivery updates).

Both are signed by Twilio. The signature is checked over exactly what was posted
(`request.form`) and the public URL Twilio called: PUBLIC_BASE_URL when set, else the
request URL as rebuilt by ProxyFix from X-Forwarded-Proto/Host.
"""

from __future__ import annotations

import contextlib
import re
from functools import wraps

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from bot.conversation.inbound import answer_from_memory, handle_inbound
from bot.extensions import db
from bot.logs import log_event
from bot.models import DELIVERY_ORDER, Message, Patient, utcnow
from bot.patients.consent import apply_send_failure
from bot.phones import normalize_phone
from bot.sms import transport as tr
from bot.sms.replay import replay_quietly
from bot.sms.spool import Spool

bp = Blueprint("sms", __name__, url_prefix="/sms")

_SID = re.compile(r"[A-Za-z0-9]{2,64}")  # Twilio sids: two letters + 32 hex


def _public_url() -> str:
    base = current_app.config["PUBLIC_BASE_URL"]
    if base:
        query = request.query_string.decode("latin-1")
        return base + request.path + (f"?{query}" if query else "")
    return request.url


def twilio_signed(view):  # noqa: ANN001, ANN201
    """403 unless X-Twilio-Signature matches. No auth token configured: nothing validates."""

    @wraps(view)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        token = current_app.config["TWILIO_AUTH_TOKEN"]
        signature = request.headers.get("X-Twilio-Signature", "")
        if not token or not signature:
            abort(403)
        params = request.form.to_dict(flat=True)
        if not RequestValidator(token).validate(_public_url(), params, signature):
            log_event("sms.bad_signature", path=request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapper


def _twiml(body: str | None) -> Response:
    resp = MessagingResponse()
    if body:
        resp.message(body)
    return Response(str(resp), mimetype="application/xml")


@bp.post("")
@twilio_signed
def inbound() -> Response:
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    phone = normalize_phone(form.get("From", ""), current_app.config["DEFAULT_REGION"])
    if not _SID.fullmatch(sid) or phone is None:
        # Signed but not a message we can answer (e.g. a misrouted callback).
        return Response("missing or invalid MessageSid/From\n", status=400, mimetype="text/plain")
    # Twilio caps a body at 1600 characters. NUL can't be stored in PostgreSQL text.
    body = form.get("Body", "")[:1600].replace("\x00", "")
    spool: Spool = current_app.extensions["nextsteps.spool"]
    try:
        spool.append(sid, phone, body, utcnow().isoformat())
    except OSError as exc:  # not stored anywhere: Twilio must not think it was delivered
        log_event("sms.spool_unwritable", phone=phone, error=type(exc).__name__)
        return Response("cannot store the message\n", status=503, mimetype="text/plain")
    try:
        reply = handle_inbound(phone, body, sid)
    except SQLAlchemyError as exc:
        return _twiml(_degraded(spool, phone, body, sid, exc))
    except Exception:
        spool.settle(stored=False)  # left in the spool for replay
        raise
    spool.settle(stored=True)
    if spool.backlog:
        replay_quietly()  # the database is back: what waited goes in now
    return _twiml(reply)


def _degraded(spool: Spool, phone: str, body: str, sid: str, exc: Exception) -> str | None:
    """The database is unreachable: the text stays in the spool, answered from memory."""
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    spool.settle(stored=False)
    reply = answer_from_memory(body)
    # The text itself is stored; without this note replay records the pipeline's reply.
    with contextlib.suppress(OSError):
        spool.note_reply(sid, reply)
    log_event("sms.degraded", phone=phone, error=type(exc).__name__)
    return reply


@bp.post("/status")
@twilio_signed
def status() -> tuple[str, int]:
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    new_status = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    if not _SID.fullmatch(sid) or new_status not in DELIVERY_ORDER:
        return "", 400
    msg = db.session.scalars(select(Message).where(Message.twilio_sid == sid)).first()
    if msg is None:
        return "", 204  # not ours (or erased): nothing to update
    # Callbacks arrive out of order: never move a message backwards.
    if DELIVERY_ORDER[new_status] >= DELIVERY_ORDER.get(msg.status, -1):
        msg.status = new_status
    code = form.get("ErrorCode", "")
    if code.isdigit():
        msg.error_code = int(code)
        patient = db.session.get(Patient, msg.patient_id) if msg.patient_id else None
        failure = tr.SendResult(tr.outcome_for(400, int(code)), error_code=int(code))
        apply_send_failure(patient, failure)
    db.session.commit()
    log_event("sms.status", phone=msg.phone, sid=sid, status=msg.status, code=code or "-")
    return "", 204
