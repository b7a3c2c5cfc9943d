"""The login throttle: per client address and per account, counted in the database so that
every worker shares it; a clear 429 page; the lockout still applies underneath."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot import create_app
from bot.config import ConfigError, load_config
from bot.extensions import db
from bot.models import RateLimitCounter, StaffUser
from bot.ratelimit import DatabaseStorage
from tests.procs import gunicorn

from .helpers import PASSWORD

FIVE = "5 per minute"
PLENTY = "10000 per minute"


def _attempt(client: FlaskClient, email: str, address: str, password: str = "wrong guess!!"):  # noqa: ANN201
    return client.post(
        "/staff/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _limits(app: Flask, per_address: str, per_account: str) -> None:
    app.config["STAFF_LOGIN_LIMIT_PER_ADDRESS"] = per_address
    app.config["STAFF_LOGIN_LIMIT_PER_ACCOUNT"] = per_account


def test_sixth_attempt_from_one_address_gets_429_whatever_the_account(
    app: Flask, client: FlaskClient
) -> None:
    _limits(app, FIVE, PLENTY)
    for i in range(5):
        assert _attempt(client, f"guess{i}@clinic.example", "203.0.113.7").status_code == 200
    resp = _attempt(client, "guess5@clinic.example", "203.0.113.7")
    assert resp.status_code == 429
    page = resp.get_data(as_text=True)
    assert "Too many login attempts" in page and "wait up to 1 minute," in page
    assert int(resp.headers["Retry-After"]) == 60
    # Another address is not held up; the login page itself still opens.
    assert _attempt(client, "guess6@clinic.example", "198.51.100.9").status_code == 200
    page = client.get("/staff/login", environ_base={"REMOTE_ADDR": "203.0.113.7"})
    assert page.status_code == 200


def test_one_account_tried_from_many_addresses_is_throttled(
    app: Flask, client: FlaskClient, staff_user: str
) -> None:
    _limits(app, PLENTY, FIVE)
    app.config["STAFF_LOGIN_MAX_FAILURES"] = 100  # the throttle, not the lockout, stops this
    for i in range(5):
        assert _attempt(client, staff_user, f"192.0.2.{i}").status_code == 200
    # Even the right password, from a fresh address: refused before it is checked.
    resp = _attempt(client, staff_user.upper(), "192.0.2.99", password=PASSWORD)
    assert resp.status_code == 429
    assert client.get("/staff/patients").status_code == 302  # not logged in
    # Another account from those addresses is untouched.
    assert _attempt(client, "other@clinic.example", "192.0.2.1").status_code == 200


def test_unknown_and_known_accounts_are_throttled_alike(
    app: Flask, client: FlaskClient, staff_user: str
) -> None:
    _limits(app, PLENTY, "2 per minute")
    for email in ("nobody@clinic.example", staff_user):
        codes = [_attempt(client, email, f"192.0.2.{i}").status_code for i in range(3)]
        assert codes == [200, 200, 429]


def test_lockout_still_applies_under_the_throttle(
    app: Flask, client: FlaskClient, staff_user: str
) -> None:
    _limits(app, PLENTY, "20 per minute")
    for i in range(5):
        assert _attempt(client, staff_user, f"192.0.2.{i}").status_code == 200
    resp = _attempt(client, staff_user, "192.0.2.50", password=PASSWORD)
    assert resp.status_code == 200 and "Wrong email or password." in resp.get_data(as_text=True)
    with app.app_context():
        user = db.session.scalars(select(StaffUser).filter_by(email=staff_user)).one()
        assert user.locked_until is not None


@pytest.mark.parametrize("raw", ["lots", "5 per fortnight", "-1/minute"])
def test_a_bad_limit_setting_stops_start_up(tmp_path, raw: str) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError, match="STAFF_LOGIN_LIMIT_PER_ACCOUNT"):
        load_config(str(tmp_path), env={"STAFF_LOGIN_LIMIT_PER_ACCOUNT": raw})


def test_counts_are_shared_by_every_app_on_the_database(app: Flask, app_config: dict) -> None:
    """Two apps on one database stand for two gunicorn workers: attempts add up."""
    other = create_app({**app_config, "STAFF_LOGIN_LIMIT_PER_ADDRESS": FIVE})
    _limits(app, FIVE, PLENTY)
    one, two = app.test_client(), other.test_client()
    codes = [
        _attempt(c, f"g{i}@clinic.example", "203.0.113.8").status_code
        for i, c in enumerate((one, two, one, two, one, two))
    ]
    assert codes == [200] * 5 + [429]
    with other.app_context():
        db.engine.dispose()


def test_the_table_holds_no_address_or_email(app: Flask, client: FlaskClient) -> None:
    _attempt(client, "someone@clinic.example", "203.0.113.9")
    with app.app_context():
        rows = db.session.scalars(select(RateLimitCounter)).all()
    assert len(rows) == 2  # one per limit: the address, the account
    for row in rows:
        assert "203.0.113.9" not in row.key and "someone" not in row.key
        assert len(row.key) == 64


def test_storage_windows_restart_after_they_expire(app: Flask, time_machine) -> None:  # noqa: ANN001
    time_machine.move_to("2027-01-01T12:00:00Z", tick=False)
    storage = DatabaseStorage("database://")
    with app.app_context():
        assert storage.check()
        assert storage.incr("k", 60) == 1 and storage.incr("k", 60) == 2
        assert storage.get("k") == 2 and storage.get_expiry("k") > 0
        time_machine.shift(61)
        assert storage.get("k") == 0
        assert storage.incr("k", 60) == 1
        storage.clear("k")
        assert storage.get("k") == 0
        storage.incr("a", 60)
        storage.incr("b", 60)
        assert storage.reset() == 2


def _post_login(base: str, address: str) -> int:
    data = urlencode({"email": "x@clinic.example", "password": "wrong guess!!"}).encode()
    req = urllib.request.Request(
        base + "/staff/login", data=data, headers={"X-Forwarded-For": address}, method="POST"
    )
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


@pytest.mark.slow
def test_three_gunicorn_workers_share_one_count(app: Flask, database_uri: str) -> None:
    env = {
        "DATABASE_URL": database_uri,
        "WTF_CSRF_ENABLED": "0",
        "STAFF_LOGIN_LIMIT_PER_ADDRESS": FIVE,
        "STAFF_LOGIN_LIMIT_PER_ACCOUNT": PLENTY,
    }
    with gunicorn("bot:create_app()", env, workers=3) as (base, _):
        codes = [_post_login(base, "203.0.113.10") for _ in range(12)]
    assert codes == [200] * 5 + [429] * 7
