"""Helpers for the staff console tests (fixtures are in conftest.py)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask.testing import FlaskClient

PASSWORD = "correct horse battery staple"
STAFF_EMAIL = "nurse@clinic.example"
ADMIN_EMAIL = "admin@clinic.example"


def csrf_token(html: bytes | str) -> str:
    """The CSRF token a rendered page carries (hidden input)."""
    text = html.decode() if isinstance(html, bytes) else html
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', text)
    assert match, "no CSRF token on the page"
    return match.group(1)


def page_text(resp) -> str:  # noqa: ANN001
    """The page as a person reads it (entities like &#39; decoded)."""
    return html.unescape(resp.get_data(as_text=True))


def login(client: FlaskClient, email: str, password: str = PASSWORD, **extra):  # noqa: ANN003, ANN201
    data = {"email": email, "password": password}
    if client.application.config["WTF_CSRF_ENABLED"]:
        data["csrf_token"] = csrf_token(client.get("/staff/login").data)
    return client.post("/staff/login", data=data, **extra)


def in_future(days: int = 21, hour: int = 9) -> datetime:
    """A local wall-clock time `days` ahead, on the hour."""
    return (datetime.now() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


@dataclass(frozen=True)
class Clinic:
    """Ids of seeded rows, for building URLs."""

    patient_id: int
    scan_id: int
    message_id: int
    user_id: int
    name: str
    phone: str


DISTINCT_NAME = "Zebediah Quuxley"
DISTINCT_PHONE = "+16145550199"
