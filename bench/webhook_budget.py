"""Where one text's time goes inside the web process: the real POST /sms called as WSGI,
no server, no network, so the figures move less with the machine's load than wrk's.

Each text is unique (its own MessageSid) and signed as Twilio would sign it, so it does
the whole work: signature, spool, reads, decision, writes, TwiML. By default every text
comes from a number we do not know; --enrolled sends them from active patients with a
scan to come (what a clinic's traffic mostly is: their context takes more reads). The budget
wraps the main steps with a timer (the steps overlap: a row includes the rows it calls).

    python bench/webhook_budget.py [--texts 2000] [--database-url URL] [--runs 3] [--enrolled]
"""

from __future__ import annotations

import argparse
import collections
import functools
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.webhook import enroll, signed_requests  # noqa: E402
from tests.conftest import AUTH_TOKEN  # noqa: E402

BASE = "http://127.0.0.1:5000"
SPENT: collections.Counter[str] = collections.Counter()


def timed(owner: object, name: str, label: str) -> None:
    """Wrap owner.name so its wall time adds up under `label`."""
    inner = getattr(owner, name)

    @functools.wraps(inner)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        start = time.perf_counter()
        try:
            return inner(*args, **kwargs)
        finally:
            SPENT[label] += time.perf_counter() - start

    setattr(owner, name, wrapper)


def wrap_steps() -> None:
    import flask
    from sqlalchemy.orm import Session

    import bot.conversation.inbound as inbound
    from bot.conversation import language, safety
    from bot.conversation.pipeline import Pipeline
    from bot.conversation.understanding.model import Classifier
    from bot.sms import webhook
    from bot.sms.spool import Spool

    timed(flask.Flask, "__call__", "whole request (WSGI)")
    timed(webhook.Signature, "valid", "signature (form parsed here)")
    timed(webhook, "normalize_phone", "phone number parse")
    timed(Spool, "append", "spool append (+ flush unless the database flushes)")
    timed(webhook, "handle_inbound", "handle_inbound (reads, decide, writes)")
    timed(Pipeline, "decide", "  decide (understanding)")
    timed(Classifier, "predict", "    classifier")
    timed(safety, "red_flag", "    red-flag rules")
    timed(language, "detect", "    language detection")
    for method in ("execute", "scalars", "commit", "connection"):
        timed(Session, method, "  SQLAlchemy session (execute, commit...)")
    timed(inbound, "load_context", "  a patient's context (check-in, next scan...)")
    timed(inbound, "upcoming_scan", "    next scan")
    timed(inbound, "format_when", "    next scan's date in words")
    timed(inbound.checkins, "state_of", "    open check-in")
    timed(inbound, "_record", "  writes that change state (STOP, YES...)")
    if hasattr(inbound, "_record_text_and_reply"):  # absent before issue 12's third pass
        timed(inbound, "_record_text_and_reply", "  writes (a text and its reply)")


def requests_for(n: int, seed: int, enrolled: bool) -> list[tuple[bytes, str]]:
    """(body, signature) pairs; from active patients 0..n-1 when `enrolled`."""
    pairs = signed_requests(BASE, n, seed, patients=n if enrolled else 0)
    return [(body.encode(), signature) for signature, body in pairs]


def environ(body: bytes, signature: str) -> dict:
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": "/sms",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "5000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/x-www-form-urlencoded",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "127.0.0.1:5000",
        "HTTP_X_TWILIO_SIGNATURE": signature,
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        "wsgi.version": (1, 0),
    }


def send(app, requests: list[tuple[bytes, str]]) -> None:  # noqa: ANN001
    statuses = set()
    for body, signature in requests:
        for _ in app(environ(body, signature), lambda status, _h, _e=None: statuses.add(status)):
            pass
    assert statuses == {"200 OK"}, statuses


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--database-url", default="")
    ap.add_argument("--enrolled", action="store_true", help="texts from active patients")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-budget-"))  # on disk: the spool's flush is real
    os.environ.update(
        DATABASE_URL=args.database_url or f"sqlite:///{tmp}/bench.sqlite3",
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        PUBLIC_BASE_URL=BASE,
        SPOOL_DIR=str(tmp / "spool"),
        LOG_LEVEL="WARNING",
    )
    flask_cmd = [sys.executable, "-m", "flask", "--app", "bot", "db", "upgrade"]
    subprocess.run(flask_cmd, cwd=ROOT, check=True, capture_output=True)
    from bot import create_app

    app = create_app()
    if args.enrolled:
        enroll(app, args.texts)
    # Warm-up: caches, the pool, the first request's one-off work.
    send(app, requests_for(300, 0, args.enrolled))
    wall, cpu = [], []
    for run in range(1, args.runs + 1):
        batch = requests_for(args.texts, run, args.enrolled)
        start_wall, start_cpu = time.perf_counter(), time.process_time()
        send(app, batch)
        wall.append((time.perf_counter() - start_wall) / args.texts * 1000)
        cpu.append((time.process_time() - start_cpu) / args.texts * 1000)
    senders = "active patients" if args.enrolled else "unknown numbers"
    database = os.environ["DATABASE_URL"].split(":")[0]
    print(f"database: {database}; {args.texts} texts x {args.runs} from {senders}")
    print(f"ms per text, best run: wall {min(wall):.3f}, CPU {min(cpu):.3f}")

    wrap_steps()
    SPENT.clear()
    send(app, requests_for(args.texts, 99, args.enrolled))
    print("\n| step (timed separately; a row includes the rows under it) | us per text |")
    print("|---|---|")
    for label, seconds in sorted(SPENT.items(), key=lambda kv: -kv[1]):
        print(f"| {label} | {seconds / args.texts * 1e6:.0f} |")


if __name__ == "__main__":
    main()
