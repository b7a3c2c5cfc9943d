"""Outbound requests conform to Twilio's OpenAPI spec (the Messages part, vendored under
tests/data/twilio-oai with its MIT LICENSE), checked by
Prism in mock mode with --errors: an invalid request gets a 422, not a 201.

Prism comes from npm: `npm ci --prefix .ci/node` (see .ci/run). Without it the test is
skipped locally and fails in CI.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from twilio.base.exceptions import TwilioException

from bot.extensions import db
from bot.models import SENT, Message
from bot.sms.outbound import get_transport
from schedules.dispatcher import dispatch
from tests.conftest import ACCOUNT_SID, DATA
from tests.procs import free_port
from tests.reminder_helpers import make_patient, reminders, scan_at, utc

# Every date below is a fixed calendar date after NOW (tests/conftest.py).
pytestmark = pytest.mark.usefixtures("now")

ROOT = Path(__file__).resolve().parents[1]
SPEC = DATA / "twilio-oai" / "twilio_api_v2010.json"


def _prism() -> str | None:
    local = ROOT / ".ci" / "node" / "node_modules" / ".bin" / "prism"
    return str(local) if local.exists() else shutil.which("prism")


@pytest.fixture(scope="module")
def prism_url() -> Iterator[str]:
    prism = _prism()
    if prism is None or not SPEC.exists():
        why = "prism is not installed (npm ci --prefix .ci/node)" if prism is None else f"no {SPEC}"
        if os.environ.get("CI"):
            pytest.fail(f"CI must check requests against Twilio's OpenAPI spec: {why}")
        pytest.skip(why)
    port = free_port()
    proc = subprocess.Popen(
        [prism, "mock", "-p", str(port), "-h", "127.0.0.1", "--errors", str(SPEC)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 90  # the spec is large: Prism takes a while to load it
        while True:
            assert proc.poll() is None, f"prism exited: {proc.stdout.read()[-2000:]}"
            assert time.monotonic() < deadline, "prism did not start listening"
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.mark.slow
@pytest.mark.parametrize("sender", ["from_number", "messaging_service"])
def test_reminder_requests_conform_to_twilios_openapi_spec(app_config, request, prism_url, sender):
    app_config.update(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_API_BASE_URL=prism_url,
        PUBLIC_BASE_URL="https://nextsteps.example.org",
        TWILIO_FROM_NUMBER="+16145550100" if sender == "from_number" else "",
        TWILIO_MESSAGING_SERVICE_SID="MG" + "1" * 32 if sender == "messaging_service" else "",
    )
    app = request.getfixturevalue("app")
    with app.app_context():
        patient = make_patient()
        scan_at(patient, "2027-01-12 09:30", kind="PET")
        stats = dispatch(now=utc("2027-01-05 15:01"))
        row = reminders(patient)[0]
        assert (stats.sent, row.status, row.error_code) == (1, SENT, None), row.note
        assert row.twilio_sid.startswith("SM")
        assert db.session.scalars(select(Message).where(Message.reminder_id == row.id)).one()

        # The reconciliation query (GET with To and DateSent>) is valid too. Prism's
        # --errors also rejects the spec's own example answer (relative URIs where the
        # spec says format "uri"), so only violations located in the request count.
        try:
            listed = get_transport().list_recent(patient.phone, utc("2027-01-05 14:51"))
        except TwilioException as exc:
            violations = json.loads(exc.args[1].text)["validation"]
            assert violations and not [v for v in violations if v["location"][0] == "request"]
        else:
            assert all(m["sid"].startswith("SM") for m in listed)
