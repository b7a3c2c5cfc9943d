"""What the browser tests share: Debian's Chromium, the app served on a real port, and a
patient's text arriving as a signed Twilio webhook over HTTP."""

from __future__ import annotations

import os
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import inbound_form, sign

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    if CHROMIUM.exists():
        return
    if os.environ.get("CI"):
        pytest.fail(f"CI is set but {CHROMIUM} is missing: .ci/run must apt-get install chromium")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")


@contextmanager
def served(app: Flask) -> Iterator[str]:
    """The app on a free port in a real server thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def text_in(base: str, body: str, phone: str) -> str:
    """A Twilio-signed inbound SMS posted to the live server; returns the TwiML."""
    url = f"{base}/sms"
    form = inbound_form(body, from_=phone)
    request = urllib.request.Request(
        url,
        data=urlencode(form).encode(),
        headers={
            "X-Twilio-Signature": sign(url, form),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    with urllib.request.urlopen(request, timeout=10) as resp:
        assert resp.status == 200
        return resp.read().decode()


def logged_in_page(browser, base: str, email: str, password: str, **context):  # noqa: ANN001, ANN003, ANN201
    """A phone-sized page in a fresh context, logged in and on the patient list."""
    page = browser.new_context(viewport={"width": 390, "height": 844}, **context).new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{base}/staff/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"{base}/staff/patients")
    return page
