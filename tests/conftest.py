"""Fixtures: app, client, runner, a clean database per test, and Twilio-signed requests.

The database is SQLite by default; set TEST_DATABASE_URL to a PostgreSQL URL (e.g.
postgresql://127.0.0.1:5432/test) and the session creates its own fresh database on that
server, migrates it with Alembic, and drops it at the end.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text
from twilio.request_validator import RequestValidator

from bot import create_app
from bot.config import database_url
from bot.extensions import db

AUTH_TOKEN = "test_auth_token_0123456789abcdef"
ACCOUNT_SID = "AC" + "0" * 32
# What the tests read lives in the repository (a fresh clone alone passes).
DATA = Path(__file__).resolve().parent / "data"


def seeds_dir() -> Path:
    """The seed articles, from NEXTSTEPS_SEEDS_DIR (CI sets it); skip, saying why, when unset."""
    value = os.environ.get("NEXTSTEPS_SEEDS_DIR", "")
    if not value:
        pytest.skip("NEXTSTEPS_SEEDS_DIR is not set: the seed-article checks need the articles")
    path = Path(value)
    if not any(path.glob("*.txt")):
        pytest.fail(f"NEXTSTEPS_SEEDS_DIR={value} holds no seed articles (*.txt)")
    return path


# The moment every date-dependent test runs at, whatever the system clock says (CI also
# runs the suite under faketime). Test dates are built from it, or are calendar facts
# after it (DST change days); the clock stands still so nothing depends on timing.
NOW = datetime(2027, 1, 1, 12, 0)  # naive UTC, like every stored time


@pytest.fixture
def now(time_machine) -> datetime:  # noqa: ANN001  (time-machine's fixture)
    """Stop the clock at NOW for this test (bot.timeutil.utcnow and datetime.now alike)."""
    time_machine.move_to(NOW.replace(tzinfo=UTC), tick=False)
    return NOW


@contextmanager
def fresh_database(tmp_dir: Path) -> Iterator[str]:
    """An empty database: SQLite in tmp_dir, or a new database on TEST_DATABASE_URL's server."""
    base = os.environ.get("TEST_DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql")):
        yield "sqlite:///" + str(tmp_dir / f"test-{uuid.uuid4().hex[:6]}.sqlite3")
        return
    url = database_url(base, "")
    name = f"nextsteps_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def database_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A fresh database for this test session, migrated to head with Alembic."""
    with fresh_database(tmp_path_factory.mktemp("db")) as uri:
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True})
        with app.app_context():
            from flask_migrate import upgrade

            upgrade()
            db.engine.dispose()
        yield uri


def _wipe(app: Flask) -> None:
    with app.app_context():
        tables = [t.name for t in reversed(db.metadata.sorted_tables)]
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for name in tables:
                db.session.execute(text(f"DELETE FROM {name}"))
        db.session.commit()


@pytest.fixture
def app_config(database_uri: str, tmp_path: Path) -> dict:
    """Settings for the app under test; a test may change them before using `app`."""
    return {
        "SQLALCHEMY_DATABASE_URI": database_uri,
        "SPOOL_DIR": str(tmp_path / "spool"),
        "TESTING": True,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "PROGRAM_NAME": "NextSteps",
        "CLINIC_PHONE": "614-555-0100",
        "WTF_CSRF_ENABLED": False,
        "SERVER_NAME": None,
        # Tests log in far more often than people do; the throttle's own tests lower these.
        "STAFF_LOGIN_LIMIT_PER_ADDRESS": "10000 per minute",
        "STAFF_LOGIN_LIMIT_PER_ACCOUNT": "10000 per minute",
    }


@pytest.fixture
def app(app_config: dict) -> Iterator[Flask]:
    app = create_app(app_config)
    _wipe(app)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask):  # noqa: ANN201
    return app.test_cli_runner()


def sign(url: str, params: dict[str, str], token: str = AUTH_TOKEN) -> str:
    return RequestValidator(token).compute_signature(url, params)


def inbound_form(body: str, from_: str = "+16145550123", sid: str | None = None) -> dict:
    """A realistic inbound SMS form, shaped like tests/data/twilio/inbound-sms.form."""
    sid = sid or "SM" + uuid.uuid4().hex
    return {
        "ToCountry": "US",
        "ToState": "OH",
        "SmsMessageSid": sid,
        "NumMedia": "0",
        "ToCity": "COLUMBUS",
        "FromZip": "43215",
        "SmsSid": sid,
        "FromState": "OH",
        "SmsStatus": "received",
        "FromCity": "COLUMBUS",
        "Body": body,
        "FromCountry": "US",
        "To": "+16145550100",
        "MessagingServiceSid": "MG0a1b2c3d4e5f60718293a4b5c6d7e8f9",
        "ToZip": "43215",
        "NumSegments": "1",
        "ReferralNumMedia": "0",
        "MessageSid": sid,
        "AccountSid": ACCOUNT_SID,
        "From": from_,
        "ApiVersion": "2010-04-01",
    }


class Phone:
    """A patient's phone talking to our webhook through the Flask test client."""

    def __init__(self, client: FlaskClient, number: str = "+16145550123") -> None:
        self.client = client
        self.number = number

    def post(self, form: dict, path: str = "/sms", url: str | None = None, **headers: str):
        signature = sign(url or f"http://localhost{path}", form)
        return self.client.post(
            path,
            data=urlencode(form),
            content_type="application/x-www-form-urlencoded",
            headers={"X-Twilio-Signature": signature, **headers},
        )

    def text(self, body: str, sid: str | None = None) -> str | None:
        """Send a text; return the reply body (None when the bot stays silent)."""
        resp = self.post(inbound_form(body, self.number, sid))
        assert resp.status_code == 200, resp.data
        return reply_of(resp.data)


def reply_of(twiml: bytes) -> str | None:
    import xml.etree.ElementTree as ET

    root = ET.fromstring(twiml)
    assert root.tag == "Response"
    msg = root.find("Message")
    return msg.text if msg is not None else None


@pytest.fixture
def phone(client: FlaskClient) -> Phone:
    return Phone(client)


# -- Twilio on loopback (reminders) ------------------------------------------------------
from tests.fake_twilio import FakeTwilio  # noqa: E402  (tests/ is on sys.path: no __init__.py)

FROM_NUMBER = "+16145550100"


@pytest.fixture
def fake_twilio() -> Iterator[FakeTwilio]:
    """A fake Twilio REST API on loopback; see tests/fake_twilio.py."""
    with FakeTwilio() as server:
        yield server


@pytest.fixture
def twilio_app(app_config: dict, fake_twilio: FakeTwilio, request: pytest.FixtureRequest) -> Flask:
    """The app sending through the real twilio client to `fake_twilio`."""
    app_config.update(
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_FROM_NUMBER=FROM_NUMBER,
        TWILIO_API_BASE_URL=fake_twilio.url,
    )
    # A test may have set these already.
    app_config.setdefault("SEND_RATE_PER_SECOND", 1000.0)
    app_config.setdefault("SEND_CONCURRENCY", 4)
    app_config.setdefault("TWILIO_TIMEOUT_SECONDS", 2.0)
    return request.getfixturevalue("app")
