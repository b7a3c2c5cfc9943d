"""Send a text: through Twilio's REST API, or to the console when no credentials are set.

Both transports answer with a SendResult whose `outcome` tells the caller what to do;
the mapping from Twilio error codes to outcomes lives here and nowhere else.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from bot.logs import log_event, mask_phone

# What the caller does next.
SENT = "sent"  # accepted by Twilio (or printed): record the sid
RETRY = "retry"  # transient: try again later with backoff
OPTED_OUT = "opted_out"  # 21610: the patient texted STOP; never retry
BAD_NUMBER = "bad_number"  # cannot receive texts: flag for staff; never retry
CONFIG = "config"  # our setup is wrong (region, sender): flag; never retry
FAILED = "failed"  # anything else permanent

# The newest texts to one number looked at when reconciling (a patient gets a few a week).
RECENT_LIMIT = 50

# 30003 (handset unreachable: off, out of coverage) may succeed later, Twilio says.
_RETRY_CODES = {20429, 21611, 30003}
_BAD_NUMBER_CODES = {21211, 21614, 30005, 30006}
_CONFIG_CODES = {21408, 21606, 21212, 20003, 20404}


def outcome_for(http_status: int | None, code: int | None) -> str:
    """Classify a Twilio failure (REST error or status-callback ErrorCode)."""
    if code == 21610:
        return OPTED_OUT
    if code in _BAD_NUMBER_CODES:
        return BAD_NUMBER
    if code in _CONFIG_CODES:
        return CONFIG
    if code in _RETRY_CODES or http_status == 429 or http_status is None:
        return RETRY
    if http_status >= 500:
        return RETRY
    return FAILED


@dataclass(frozen=True)
class SendResult:
    outcome: str
    sid: str | None = None
    status: str | None = None  # Twilio's status: queued, accepted...
    error_code: int | None = None
    error: str = ""
    # No answer from Twilio (timeout, dropped connection): the text may or may not exist,
    # so the caller must ask Twilio before sending it again.
    unknown: bool = False


class ConsoleTransport:
    """No Twilio credentials: print the text (for local runs and tests) and keep it."""

    name = "console"

    def __init__(self, show_bodies: bool = True) -> None:
        self.show_bodies = show_bodies
        self.sent: list[dict] = []
        self._lock = threading.Lock()
        self._log = logging.getLogger("nextsteps.console_sms")

    def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        with self._lock:
            # Twilio's shape (SM + 32 hex), unique across processes and restarts: the
            # messages table holds sids from every process that ever sent.
            sid = "SM" + uuid.uuid4().hex
            self.sent.append({"to": to, "body": body, "sid": sid})
        # The console transport exists to show the text, so the body is printed here; in
        # production (no Twilio credentials: a mistake) stdout is a log, so it is not.
        shown = body if self.show_bodies else f"<{len(body)} characters, not shown>"
        print(f"[console sms] to {mask_phone(to)} ({sid}): {shown}", flush=True)
        return SendResult(SENT, sid=sid, status="queued")

    def list_recent(self, to: str, since: datetime) -> list[dict]:
        with self._lock:
            return [dict(m, status="sent") for m in self.sent if m["to"] == to]


class TwilioTransport:
    """The real twilio REST client; `TWILIO_API_BASE_URL` points it elsewhere for tests."""

    name = "twilio"

    def __init__(self, config: Mapping) -> None:
        from requests.adapters import HTTPAdapter
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        # Twilio answers in well under a second; a hung socket must not stall a batch.
        http = TwilioHttpClient(
            timeout=config.get("TWILIO_TIMEOUT_SECONDS", 15), pool_connections=True
        )
        # One pooled connection per sending thread, so concurrent sends reuse connections.
        pool = max(10, int(config.get("SEND_CONCURRENCY", 10)))
        for scheme in ("https://", "http://"):
            http.session.mount(scheme, HTTPAdapter(pool_connections=1, pool_maxsize=pool))
        self.client = Client(
            config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=http
        )
        if config.get("TWILIO_API_BASE_URL"):
            self.client.api.base_url = config["TWILIO_API_BASE_URL"]
        self.service_sid = config.get("TWILIO_MESSAGING_SERVICE_SID") or None
        self.from_number = config.get("TWILIO_FROM_NUMBER") or None

    def send(self, to: str, body: str, status_callback: str | None = None) -> SendResult:
        from twilio.base.exceptions import TwilioException, TwilioRestException

        kwargs: dict = {"to": to, "body": body}
        if self.service_sid:
            kwargs["messaging_service_sid"] = self.service_sid
        else:
            kwargs["from_"] = self.from_number
        if status_callback:
            kwargs["status_callback"] = status_callback
        try:
            msg = self.client.messages.create(**kwargs)
        except TwilioRestException as exc:
            outcome = outcome_for(exc.status, exc.code)
            log_event("sms.send_error", phone=to, http=exc.status, code=exc.code, outcome=outcome)
            return SendResult(outcome, error_code=exc.code, error=str(exc.msg)[:200])
        except (TwilioException, OSError) as exc:
            # Timeout or connection failure: Twilio may or may not have the message.
            log_event("sms.send_error", phone=to, error=type(exc).__name__, outcome=RETRY)
            return SendResult(RETRY, error=type(exc).__name__, unknown=True)
        except (ValueError, TypeError, AttributeError, KeyError) as exc:
            # A 2xx whose body is not Twilio's JSON: the message may exist, the sid is unknown.
            return _malformed(to, type(exc).__name__)
        if not _plausible_sid(msg.sid):
            return _malformed(to, "no_sid")
        log_event("sms.sent", phone=to, sid=msg.sid, status=msg.status)
        return SendResult(SENT, sid=msg.sid, status=msg.status)

    def list_recent(self, to: str, since: datetime) -> list[dict]:
        """Messages to `to` created after `since` (naive UTC), for reconciling an unknown
        outcome. Listed by number, not by DateSent: a message still queued at Twilio has
        no send date yet, and filtering on it would hide the very text we look for."""
        since_utc = since.replace(tzinfo=UTC)
        return [
            {"to": m.to, "body": m.body, "sid": m.sid, "status": m.status}
            for m in self.client.messages.list(to=to, limit=RECENT_LIMIT)
            if m.date_created is None or m.date_created >= since_utc
        ]


def _plausible_sid(sid: object) -> bool:
    """A sid we can store (Twilio's are 34 characters: SM + 32 hex)."""
    return isinstance(sid, str) and 2 <= len(sid) <= 64 and sid.isprintable()


def _malformed(to: str, why: str) -> SendResult:
    """Twilio answered, but not with a message we can read: ask Twilio later (reconcile)."""
    log_event("sms.send_error", phone=to, error="malformed_response", why=why, outcome=RETRY)
    return SendResult(RETRY, error=f"malformed response ({why})", unknown=True)


def make_transport(config: Mapping) -> ConsoleTransport | TwilioTransport:
    if config.get("TWILIO_ACCOUNT_SID"):
        return TwilioTransport(config)
    return ConsoleTransport(show_bodies=not config.get("PRODUCTION", False))
