"""Production cookies: the session and remember-me cookies are Secure, HttpOnly and
SameSite=Lax with FLASK_ENV=production or an https PUBLIC_BASE_URL, and can't be turned
off there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask_login import login_user

from bot import create_app
from bot.config import ConfigError, load_config
from bot.extensions import db
from bot.staff.accounts import find_staff

from .helpers import login

PRODUCTION = {
    "FLASK_ENV": "production",
    "SECRET_KEY": "9f2c4e7a1b3d5f60718293a4b5c6d7e8f9a0b1c2d3e4f5061728394a5b6c7d8e",
    "CLINIC_PHONE": "614-555-0100",
}
HTTPS = {"PUBLIC_BASE_URL": "https://bot.clinic.example"}
FLAGS = (
    "SESSION_COOKIE_SECURE",
    "SESSION_COOKIE_HTTPONLY",
    "REMEMBER_COOKIE_SECURE",
    "REMEMBER_COOKIE_HTTPONLY",
)


@pytest.mark.parametrize("env", [PRODUCTION, HTTPS], ids=["production", "https"])
def test_cookie_settings_in_production(tmp_path, env: dict) -> None:
    cfg = load_config(str(tmp_path), env=env)
    assert all(cfg[flag] is True for flag in FLAGS)
    assert cfg["SESSION_COOKIE_SAMESITE"] == cfg["REMEMBER_COOKIE_SAMESITE"] == "Lax"


@pytest.mark.parametrize("env", [PRODUCTION, HTTPS], ids=["production", "https"])
def test_secure_cookies_cannot_be_turned_off_in_production(tmp_path, env: dict) -> None:
    with pytest.raises(ConfigError, match="SESSION_COOKIE_SECURE"):
        load_config(str(tmp_path), env={**env, "SESSION_COOKIE_SECURE": "0"})


def test_plain_http_development_keeps_working_cookies(tmp_path) -> None:
    cfg = load_config(str(tmp_path), env={})
    assert cfg["SESSION_COOKIE_SECURE"] is False and cfg["SESSION_COOKIE_HTTPONLY"] is True


@pytest.fixture
def production_app(app_config: dict, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The app as `FLASK_ENV=production` builds it (the environment, not test overrides)."""
    for key, value in PRODUCTION.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    prod = create_app(app_config)
    yield prod
    with prod.app_context():
        db.engine.dispose()


def _cookie(headers, name: str) -> str:  # noqa: ANN001
    found = [c for c in headers.getlist("Set-Cookie") if c.startswith(name + "=")]
    assert found, f"no {name} cookie set"
    return found[0]


def _assert_flags(cookie: str) -> None:
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_login_sets_a_secure_httponly_samesite_session_cookie(
    production_app: Flask, staff_user: str
) -> None:
    resp = login(production_app.test_client(), staff_user)
    assert resp.status_code == 302
    _assert_flags(_cookie(resp.headers, production_app.config["SESSION_COOKIE_NAME"]))


def test_production_remember_me_cookie_has_the_same_flags(
    production_app: Flask, staff_user: str
) -> None:
    with production_app.test_request_context("/staff/login", method="POST"):
        login_user(find_staff(staff_user), remember=True)
        resp = production_app.process_response(production_app.make_response("ok"))
        db.session.remove()
    name = production_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    _assert_flags(_cookie(resp.headers, name))
