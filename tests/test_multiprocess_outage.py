"""Real gunicorn workers lose PostgreSQL (a proxy in between is stopped) and get it back:
every text answered, spooled by whichever worker took it, then stored once each by the
replay (the clock's work, or `flask spool replay`: never a webhook request's)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.request
from urllib.parse import urlencode

import pytest
from sqlalchemy import func, make_url, select

from bot.extensions import db
from bot.models import Message, Patient
from tests.conftest import AUTH_TOKEN, inbound_form, reply_of, sign
from tests.procs import ROOT, gunicorn
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow


def _post(base: str, form: dict) -> tuple[int, str | None]:
    url = base + "/sms"
    req = urllib.request.Request(
        url, data=urlencode(form).encode(), headers={"X-Twilio-Signature": sign(url, form)}
    )
    with urllib.request.urlopen(req, timeout=30) as resp:
        return resp.status, reply_of(resp.read())


def _health(base: str) -> dict:
    with urllib.request.urlopen(base + "/healthz", timeout=30) as resp:
        return json.loads(resp.read())


def test_workers_answer_through_an_outage_and_store_each_text_once(app, database_uri) -> None:
    url = make_url(database_uri)
    if url.get_backend_name() != "postgresql":
        pytest.skip("a proxy in front of PostgreSQL; SQLite's variant is tests/test_outage.py")
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    via_proxy = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    spool = tempfile.mkdtemp(prefix="spool-")  # the web's, shared with the replay
    env = {"DATABASE_URL": via_proxy, "TWILIO_AUTH_TOKEN": AUTH_TOKEN, "SPOOL_DIR": spool}
    sent = []
    try:
        with gunicorn("bot:create_web_app()", env, workers=2) as (base, _):
            proxy.stop()
            for i in range(6):
                form = inbound_form("STOP" if i == 0 else "hospice at home?", f"+1614555{i:04d}")
                status, reply = _post(base, form)
                assert status == 200 and reply, (i, reply)
                sent.append(form["MessageSid"])
            assert _health(base)["status"] == "degraded"
            proxy.start()
            form = inbound_form("TRIALS", "+16145559999")  # stored; replays nothing
            assert _post(base, form)[0] == 200
            sent.append(form["MessageSid"])
            assert _health(base)["spool_waiting"] == 6
            replay = subprocess.run(  # the clock's (or a nurse's) replay, another process
                [sys.executable, "-m", "flask", "--app", "bot", "spool", "replay"],
                env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert "replayed 6 text(s)" in replay.stdout, replay.stderr
            assert _health(base)["spool_waiting"] == 0
    finally:
        proxy.stop()
    with app.app_context():
        stored = db.session.execute(
            select(Message.twilio_sid, func.count())
            .group_by(Message.twilio_sid)
            .where(Message.direction == "inbound")
        ).all()
        assert sorted(sid for sid, _ in stored) == sorted(sent)
        assert all(n == 1 for _, n in stored)
        status = db.session.scalar(select(Patient.status).where(Patient.phone == "+16145550000"))
        assert status == "stopped"
