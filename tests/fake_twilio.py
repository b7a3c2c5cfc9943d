"""A fake Twilio REST API on loopback, for tests, benchmarks and multi-process runs.

The real `twilio` client talks to it (point TWILIO_API_BASE_URL / client.api.base_url at
`server.url`). It implements what the reminder dispatcher uses:

- POST /2010-04-01/Accounts/{AC}/Messages.json (form-encoded) -> 201 with Twilio's JSON
  (sid "SM" + 32 hex, status "queued"...). A message is recorded as soon as it arrives,
  like Twilio, so a client killed mid-request still leaves it on the server.
- GET  /2010-04-01/Accounts/{AC}/Messages.json with To, From, DateSent, DateSent>,
  DateSent<, PageSize, Page: Twilio's paging shape, newest first. A message still
  queued (`stay_queued_next`) has no date_sent, so a DateSent filter leaves it out.

Faults: added latency; the next N calls fail (429, 500, or any Twilio code such as 21610
or 21211); calls to one number fail; the next N calls hang and drop the connection (a
timeout), optionally after creating the message; the next N calls create the message but
answer with a sid already given to an earlier one (`repeat_sid_next`) or with a body
that is not Twilio's JSON (`garbage_next`: HTML, truncated JSON, a JSON list, no sid).

In-process: `with FakeTwilio(latency_ms=200) as server: ...` then `server.messages`.
Standalone: `python -m tests.fake_twilio --port 8099 --latency-ms 200 [--log out.jsonl]`;
read back with GET /_fake/messages, clear with POST /_fake/reset, inject faults with
POST /_fake/fail (JSON: {"status": 429, "code": 20429, "next": 3} or {"to": "+1...",
"status": 400, "code": 21610}), {"repeat_sid": 2} or {"garbage": 2, "kind": "html"}, and
set latency with POST /_fake/latency {"ms": 200}.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

API = "/2010-04-01"
_MESSAGES = re.compile(r"^/2010-04-01/Accounts/(AC[0-9a-fA-F]{32})/Messages\.json$")

ERRORS = {
    20003: "Authenticate",
    20429: "Too Many Requests",
    20500: "Internal Server Error",
    21211: "The 'To' number is not a valid phone number.",
    21408: "Permission to send an SMS has not been enabled for the region",
    21602: "Message body is required.",
    21604: "A 'To' phone number is required.",
    21606: "The 'From' phone number provided is not a valid, message-capable number",
    21610: "Attempt to send to unsubscribed recipient",
    21611: "This 'From' number has exceeded the maximum number of queued messages",
}


@dataclass
class Fault:
    status: int  # HTTP status; 0 means hang, then drop the connection (a timeout)
    code: int | None = None
    hang_seconds: float = 0.0
    create: bool = False  # for a hang or garbage: whether Twilio created the message anyway
    repeat_sid: bool = False  # 201, but with the sid of the previous message
    garbage: str | None = None  # a key of GARBAGE: the 2xx body sent instead of the JSON


# Bodies a broken proxy or a buggy Twilio-compatible service might answer a create with.
GARBAGE = {
    "html": ("text/html", b"<html><body>502 Bad Gateway</body></html>"),
    "truncated": ("application/json", b'{"sid": "SM0123", "status": "que'),
    "list": ("application/json", b'["not", "a", "message"]'),
    "no_sid": ("application/json", b'{"status": "queued", "body": "?"}'),
    "empty": ("application/json", b""),
}


def _rfc2822(when: datetime) -> str:
    return format_datetime(when, usegmt=False).replace("-0000", "+0000")


def _parse_when(value: str) -> datetime:
    value = value.strip()
    if len(value) == 10:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


class FakeTwilio:
    def __init__(
        self,
        latency_ms: float = 0,
        host: str = "127.0.0.1",
        port: int = 0,
        log_path: str | None = None,
    ) -> None:
        self.latency = latency_ms / 1000.0
        self.log_path = log_path
        self._lock = threading.Lock()
        self._messages: list[dict] = []
        self._next_faults: deque[Fault] = deque()
        self._number_faults: dict[str, tuple[Fault, int | None]] = {}
        self.requests = 0
        self._stay_queued = 0
        fake = self

        class Handler(_Handler):
            server_state = fake

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._server.request_queue_size = 256
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeTwilio:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests use ----------------------------------------------------------------
    @property
    def messages(self) -> list[dict]:
        """Every message created, oldest first (copies)."""
        with self._lock:
            return [dict(m) for m in self._messages]

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()
            self._next_faults.clear()
            self._number_faults.clear()
            self.requests = 0

    def fail_next(self, count: int = 1, status: int = 429, code: int | None = 20429) -> None:
        """The next `count` create calls fail with this HTTP status and Twilio code."""
        with self._lock:
            self._next_faults.extend(Fault(status, code) for _ in range(count))

    def fail_number(
        self, to: str, status: int = 400, code: int | None = 21610, times: int | None = None
    ) -> None:
        """Calls to `to` fail (all of them, or the next `times`)."""
        with self._lock:
            self._number_faults[to] = (Fault(status, code), times)

    def hang_next(self, count: int = 1, seconds: float = 1.0, create: bool = False) -> None:
        """The next `count` create calls get no answer: held `seconds`, then dropped."""
        with self._lock:
            self._next_faults.extend(Fault(0, None, seconds, create) for _ in range(count))

    def stay_queued_next(self, count: int = 1) -> None:
        """The next `count` messages created stay "queued" (no date_sent), as on a busy
        sender: listing by DateSent does not show them."""
        with self._lock:
            self._stay_queued += count

    def repeat_sid_next(self, count: int = 1) -> None:
        """The next `count` create calls are created but reuse the previous message's sid."""
        with self._lock:
            self._next_faults.extend(Fault(201, repeat_sid=True) for _ in range(count))

    def garbage_next(self, count: int = 1, kind: str = "html", create: bool = True) -> None:
        """The next `count` create calls answer 201 with a GARBAGE[kind] body."""
        if kind not in GARBAGE:
            raise ValueError(f"unknown garbage kind {kind!r}: {sorted(GARBAGE)}")
        with self._lock:
            self._next_faults.extend(Fault(201, garbage=kind, create=create) for _ in range(count))

    # -- the API -----------------------------------------------------------------------
    def _fault_for(self, to: str) -> Fault | None:
        with self._lock:
            self.requests += 1
            if self._next_faults:
                return self._next_faults.popleft()
            if to in self._number_faults:
                fault, times = self._number_faults[to]
                if times is not None:
                    if times <= 1:
                        del self._number_faults[to]
                    else:
                        self._number_faults[to] = (fault, times - 1)
                return fault
        return None

    def _create(
        self, account: str, form: dict[str, str], repeat_sid: bool = False, answered: bool = True
    ) -> dict:
        """Store a message. `answered` False: its sid never reaches the client (a hang or a
        garbage answer). A repeated sid is one the client was already given: taking the
        newest message's instead would, when sends run in parallel, sometimes give away
        the sid of a message whose client never saw it, and make the test a coin toss."""
        now = datetime.now(UTC).replace(microsecond=0)
        sid = "SM" + secrets.token_hex(16)
        if repeat_sid:
            with self._lock:
                given = [m["sid"] for m in self._messages if m["_sid_given"]]
                sid = given[-1] if given else sid
        body = form.get("Body", "")
        msg = {
            "account_sid": account,
            "api_version": "2010-04-01",
            "body": body,
            "date_created": _rfc2822(now),
            "date_sent": None,
            "date_updated": _rfc2822(now),
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": form.get("From"),
            "messaging_service_sid": form.get("MessagingServiceSid"),
            "num_media": "0",
            "num_segments": "1" if len(body) <= 160 else str(-(-len(body) // 153)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued",
            "subresource_uris": {"media": f"{API}/Accounts/{account}/Messages/{sid}/Media.json"},
            "to": form.get("To"),
            "uri": f"{API}/Accounts/{account}/Messages/{sid}.json",
            # Not part of Twilio's answer: what the fake saw, for tests.
            "_status_callback": form.get("StatusCallback"),
            "_received_at": time.time(),
            "_sid_given": answered,
        }
        with self._lock:
            if self._stay_queued:
                self._stay_queued -= 1
                self._messages.append(dict(msg))
            else:  # stored as Twilio would show it a moment later: sent
                self._messages.append(dict(msg, status="sent", date_sent=_rfc2822(now)))
            if self.log_path:
                with open(self.log_path, "a", encoding="utf-8") as fh:
                    fh.write(json.dumps({"sid": sid, "to": msg["to"], "body": body}) + "\n")
        return {k: v for k, v in msg.items() if not k.startswith("_")}

    def _list(self, account: str, query: dict[str, str]) -> dict:
        with self._lock:
            rows = [m for m in self._messages if m["account_sid"] == account]
        for key, field in (("To", "to"), ("From", "from")):
            if key in query:
                rows = [m for m in rows if m[field] == query[key]]

        def sent(m: dict) -> datetime:
            return parsedate_to_datetime(m["date_sent"])

        if any(k.startswith("DateSent") for k in query):  # a queued message has none
            rows = [m for m in rows if m["date_sent"]]
        if "DateSent>" in query:
            rows = [m for m in rows if sent(m) >= _parse_when(query["DateSent>"])]
        if "DateSent<" in query:
            rows = [m for m in rows if sent(m) <= _parse_when(query["DateSent<"])]
        if "DateSent" in query:
            day = _parse_when(query["DateSent"]).date()
            rows = [m for m in rows if sent(m).date() == day]
        rows.reverse()  # newest first, as Twilio lists them
        size = max(1, min(int(query.get("PageSize", 50)), 1000))
        page = int(query.get("Page", 0))
        chunk = rows[page * size : (page + 1) * size]
        base = f"{API}/Accounts/{account}/Messages.json"
        keep = {k: v for k, v in query.items() if k not in ("Page", "PageToken")}

        def uri(p: int) -> str:
            return base + "?" + urlencode({**keep, "PageSize": size, "Page": p})

        more = (page + 1) * size < len(rows)
        return {
            "messages": [{k: v for k, v in m.items() if not k.startswith("_")} for m in chunk],
            "end": page * size + max(len(chunk) - 1, 0),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1) + f"&PageToken=PA{page + 1}" if more else None,
            "page": page,
            "page_size": size,
            "previous_page_uri": uri(page - 1) if page else None,
            "start": page * size,
            "uri": uri(page),
        }


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the twilio client pools connections
    server_state: FakeTwilio

    def log_message(self, *args: object) -> None:  # quiet
        pass

    def handle(self) -> None:
        # A client killed mid-request (the kill -9 test) is normal here, not an error.
        with contextlib.suppress(ConnectionError):
            super().handle()

    def _json(self, status: int, payload: object) -> None:
        self._raw(status, "application/json; charset=utf-8", json.dumps(payload).encode())

    def _raw(self, status: int, content_type: str, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, code: int | None) -> None:
        code = code or (20429 if status == 429 else 20500 if status >= 500 else None)
        self._json(
            status,
            {
                "code": code,
                "message": ERRORS.get(code, "Error"),
                "more_info": f"https://www.twilio.com/docs/errors/{code}",
                "status": status,
            },
        )

    def _read(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        fake = self.server_state
        parts = urlsplit(self.path)
        if parts.path == "/_fake/messages":
            return self._json(200, fake.messages)
        m = _MESSAGES.match(parts.path)
        if not m:
            return self._error(404, 20404)
        if not self.headers.get("Authorization"):
            return self._error(401, 20003)
        query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        self._json(200, fake._list(m.group(1), query))

    def do_POST(self) -> None:
        fake = self.server_state
        path = urlsplit(self.path).path
        raw = self._read()
        if path.startswith("/_fake/"):
            return self._control(path, json.loads(raw or b"{}"))
        m = _MESSAGES.match(path)
        if not m:
            return self._error(404, 20404)
        if not self.headers.get("Authorization"):
            return self._error(401, 20003)
        form = {k: v[-1] for k, v in parse_qs(raw.decode(), keep_blank_values=True).items()}
        if not form.get("To"):
            return self._error(400, 21604)
        if not (form.get("From") or form.get("MessagingServiceSid")):
            return self._error(400, 21606)
        if not form.get("Body"):
            return self._error(400, 21602)
        fault = fake._fault_for(form["To"])
        if fault is not None and fault.status == 0:
            if fault.create:
                fake._create(m.group(1), form, answered=False)
            time.sleep(fault.hang_seconds)
            self.close_connection = True
            return  # no answer at all: the client times out or sees the connection drop
        if fault is not None and fault.garbage:
            if fault.create:
                fake._create(m.group(1), form, answered=False)
            time.sleep(fake.latency)
            return self._raw(fault.status, *GARBAGE[fault.garbage])
        if fault is not None and fault.repeat_sid:
            payload = fake._create(m.group(1), form, repeat_sid=True)
            time.sleep(fake.latency)
            return self._json(201, payload)
        if fault is not None:
            time.sleep(fake.latency)
            return self._error(fault.status, fault.code)
        payload = fake._create(m.group(1), form)
        time.sleep(fake.latency)
        self._json(201, payload)

    def _control(self, path: str, data: dict) -> None:
        fake = self.server_state
        if path == "/_fake/reset":
            fake.reset()
        elif path == "/_fake/latency":
            fake.latency = float(data.get("ms", 0)) / 1000.0
        elif path == "/_fake/fail" and data.get("repeat_sid"):
            fake.repeat_sid_next(int(data["repeat_sid"]))
        elif path == "/_fake/fail" and data.get("garbage"):
            fake.garbage_next(int(data["garbage"]), data.get("kind", "html"))
        elif path == "/_fake/fail" and data.get("to"):
            fake.fail_number(
                data["to"], data.get("status", 400), data.get("code"), data.get("times")
            )
        elif path == "/_fake/fail":
            fake.fail_next(data.get("next", 1), data.get("status", 429), data.get("code"))
        else:
            return self._error(404, 20404)
        self._json(200, {"ok": True})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Twilio REST API on loopback.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--latency-ms", type=float, default=0)
    parser.add_argument("--log", default=None, help="append one JSON line per message here")
    args = parser.parse_args(argv)
    server = FakeTwilio(args.latency_ms, args.host, args.port, args.log)
    print(f"fake twilio listening on {server.url}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server._server.serve_forever()


if __name__ == "__main__":
    main()
