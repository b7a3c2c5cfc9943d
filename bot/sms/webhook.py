"""The SMS edge: POST /sms (inbound texts) and POST /sms/status (delivery updates).

Both are signed by Twilio. The signature is checked over exactly what was posted
(`request.form`) and the public URL Twilio called: PUBLIC_BASE_URL when set, else the
request URL as rebuilt by ProxyFix from X-Forwarded-Proto/Host.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import re
from functools import wraps
from xml.sax.saxutils import escape

from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy import bindparam, select
from sqlalchemy.exc import SQLAlchemyError
from twilio.request_validator import RequestValidator

from bot.conversation.inbound import answer_from_memory, handle_inbound
from bot.extensions import commits_are_durable, db
from bot.logs import log_event
from bot.models import DELIVERY_ORDER, Message, Patient, utcnow
from bot.patients.consent import apply_send_failure
from bot.phones import normalize_phone
from bot.reminders.redelivery import retry_undelivered
from bot.sms import transport as tr
from bot.sms.spool import Spool, Ticket

bp = Blueprint("sms", __name__, url_prefix="/sms")

# A message's sid as Twilio writes it (SMS or MMS): anything else is not from Twilio, and a
# sid re-split out of another signed request must not pass as a new text.
_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")


class Signature:
    """Checks X-Twilio-Signature for one app, prepared once (the HMAC key, the URL base).

    With PUBLIC_BASE_URL set there is one URL Twilio can have signed, so one HMAC. Without
    it the twilio library tries the URL as rebuilt by ProxyFix, with and without its port.
    """

    def __init__(self, token: str, public_base_url: str) -> None:
        self._mac = hmac.new(token.encode(), digestmod=hashlib.sha1) if token else None
        self._validator = RequestValidator(token) if token else None
        self._base = public_base_url

    def valid(self, signature: str) -> bool:
        if self._mac is None or not signature:
            return False
        form = request.form  # parsed once by werkzeug; only the form is signed
        if not self._base:
            return self._validator.validate(request.url, form.to_dict(flat=True), signature)
        query = request.query_string.decode("latin-1")
        mac = self._mac.copy()
        mac.update((self._base + request.path + (f"?{query}" if query else "")).encode())
        for key in sorted(form.keys()):
            mac.update(key.encode())
            mac.update(form[key].encode())
        return hmac.compare_digest(base64.b64encode(mac.digest()), signature.encode())


def _signature() -> Signature:
    ext = current_app.extensions
    if "nextsteps.signature" not in ext:
        cfg = current_app.config
        ext["nextsteps.signature"] = Signature(cfg["TWILIO_AUTH_TOKEN"], cfg["PUBLIC_BASE_URL"])
    return ext["nextsteps.signature"]


def twilio_signed(view):  # noqa: ANN001, ANN201
    """403 unless X-Twilio-Signature matches. No auth token configured: nothing validates."""

    @wraps(view)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not _signature().valid(request.headers.get("X-Twilio-Signature", "")):
            log_event("sms.bad_signature", path=request.path)
            abort(403)
        return view(*args, **kwargs)

    return wrapper


_EMPTY = '<?xml version="1.0" encoding="UTF-8"?><Response />'
_MESSAGE = '<?xml version="1.0" encoding="UTF-8"?><Response><Message>{}</Message></Response>'


def _twiml(body: str | None) -> Response:
    """The TwiML the twilio library's MessagingResponse writes, without building a tree."""
    return Response(_MESSAGE.format(escape(body)) if body else _EMPTY, mimetype="application/xml")


@bp.post("")
@twilio_signed
def inbound() -> Response:
    return receive()


def receive() -> Response:
    """One inbound text, from the request's form: stored (spool first), answered in
    TwiML. The signed webhook and `flask sms receive` (a text played by hand) both come
    here."""
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    phone = normalize_phone(form.get("From", ""), current_app.config["DEFAULT_REGION"])
    if not _SID.fullmatch(sid) or phone is None:
        # Signed but not a message we can answer (e.g. a misrouted callback).
        return Response("missing or invalid MessageSid/From\n", status=400, mimetype="text/plain")
    ours = current_app.config["TWILIO_ACCOUNT_SID"]
    if ours and form.get("AccountSid") != ours:
        return Response("AccountSid is not this service's\n", status=400, mimetype="text/plain")
    # Twilio caps a body at 1600 characters. NUL can't be stored in PostgreSQL text.
    body = form.get("Body", "")[:1600].replace("\x00", "")
    spool: Spool = current_app.extensions["nextsteps.spool"]
    try:
        # Flushed now unless the database's commit will flush it (then settle() flushes
        # it only if the database does not take it): one disk flush per text, not two.
        flush = not commits_are_durable()
        ticket = spool.append(sid, phone, body, utcnow().isoformat(), sync=flush)
    except OSError as exc:
        return _unstored(phone, exc)
    try:
        # Twilio Advanced Opt-Out's verdict, when sent, decides STOP/START/HELP (a replay
        # from the spool, without it, falls back to our own rules).
        reply = handle_inbound(phone, body, sid, opt_out_type=form.get("OptOutType"))
    except SQLAlchemyError as exc:
        return _degraded(spool, ticket, (phone, body, sid), exc)
    except Exception:
        spool.settle(ticket, stored=False)  # left in the spool for replay
        raise
    # What waited in the spool is replayed by the clock (or `flask spool replay`), never
    # here: a backlog of thousands would hold this request, and Twilio, for seconds.
    spool.settle(ticket, stored=True)
    return _twiml(reply)


def _unstored(phone: str, exc: OSError) -> Response:
    """Not stored anywhere: Twilio must not think it was delivered."""
    log_event("sms.spool_unwritable", phone=phone, error=type(exc).__name__)
    return Response("cannot store the message\n", status=503, mimetype="text/plain")


def _degraded(spool: Spool, ticket: Ticket, text: tuple[str, str, str], exc: Exception) -> Response:
    """The database is unreachable: the text stays in the spool, answered from memory."""
    phone, body, sid = text
    with contextlib.suppress(SQLAlchemyError):
        db.session.rollback()
    try:
        spool.settle(ticket, stored=False)  # on disk before we answer
    except OSError as spool_exc:
        return _unstored(phone, spool_exc)
    reply = answer_from_memory(body)
    # The text itself is stored; without this note replay records the pipeline's reply.
    with contextlib.suppress(OSError):
        spool.note_reply(sid, reply)
    log_event("sms.degraded", phone=phone, error=type(exc).__name__)
    return _twiml(reply)


# Twilio's other message statuses (its OpenAPI enum), read as the nearest of ours: a read
# receipt or a partial delivery was delivered; a scheduled text is queued; a cancelled one
# never went. Receiving/received describe inbound texts: accepted, nothing to update.
_AS_OURS = {
    "read": "delivered",
    "partially_delivered": "delivered",
    "scheduled": "queued",
    "canceled": "failed",
}
_INBOUND = frozenset({"receiving", "received"})

# A delivery update arrives for every text we send: the statement is built once.
_BY_SID = select(Message).where(Message.twilio_sid == bindparam("sid"))


@bp.post("/status")
@twilio_signed
def status() -> tuple[str, int]:
    form = request.form
    sid = form.get("MessageSid") or form.get("SmsSid") or ""
    said = (form.get("MessageStatus") or form.get("SmsStatus") or "").lower()
    new_status = _AS_OURS.get(said, said)
    if not _SID.fullmatch(sid) or (new_status not in DELIVERY_ORDER and said not in _INBOUND):
        return "", 400
    msg = db.session.scalars(_BY_SID, {"sid": sid}).first()
    if msg is None or said in _INBOUND:
        return "", 204  # not ours (or erased), or about a text we received: nothing to do
    # Callbacks arrive out of order: never move a message backwards.
    if DELIVERY_ORDER[new_status] >= DELIVERY_ORDER.get(msg.status, -1):
        msg.status = new_status
    code = form.get("ErrorCode", "")
    if code.isdigit():
        msg.error_code = int(code)
        patient = db.session.get(Patient, msg.patient_id) if msg.patient_id else None
        failure = tr.SendResult(tr.outcome_for(400, int(code)), error_code=int(code))
        apply_send_failure(patient, failure)
        if failure.outcome == tr.RETRY and msg.reminder_id and new_status == "undelivered":
            retry_undelivered(msg.reminder_id, sid, int(code), utcnow())
    db.session.commit()
    log_event("sms.status", phone=msg.phone, sid=sid, status=msg.status, code=code or "-")
    return "", 204
