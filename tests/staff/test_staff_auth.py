"""Logging in and out: lockout, one refusal message, roles, sessions, safe redirects."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.config import load_config
from bot.extensions import db
from bot.models import AuditEntry, StaffUser, utcnow
from bot.staff.auth import LOGIN_REFUSED, safe_next

from .helpers import PASSWORD, login

REFUSED = "Wrong email or password."


def _refused(resp) -> bool:  # noqa: ANN001
    return resp.status_code == 200 and REFUSED in resp.get_data(as_text=True)


def _set(app: Flask, email: str, **values: object) -> None:
    with app.app_context():
        user = db.session.scalars(select(StaffUser).filter_by(email=email)).one()
        for key, value in values.items():
            setattr(user, key, value)
        db.session.commit()


def test_login_then_pages_open(client: FlaskClient, staff_user: str) -> None:
    resp = login(client, staff_user)
    assert resp.status_code == 302 and resp.location == "/staff/patients"
    page = client.get("/staff/patients")
    assert page.status_code == 200
    assert f"Log out {staff_user}" in page.get_data(as_text=True)


def test_email_is_case_and_space_insensitive(client: FlaskClient, staff_user: str) -> None:
    assert login(client, "  Nurse@Clinic.Example ").status_code == 302


def test_unknown_email_and_wrong_password_get_the_same_answer(
    client: FlaskClient, staff_user: str
) -> None:
    unknown = login(client, "nobody@clinic.example")
    wrong = login(client, staff_user, "not the password at all")
    assert _refused(unknown) and _refused(wrong)
    assert LOGIN_REFUSED in unknown.get_data(as_text=True)
    assert client.get("/staff/patients").status_code == 302


def test_five_wrong_passwords_lock_the_account(
    app: Flask, client: FlaskClient, staff_user: str
) -> None:
    for _ in range(4):
        assert _refused(login(client, staff_user, "wrong password guess"))
    # Four misses: the right password still works, and resets the count.
    assert login(client, staff_user).status_code == 302
    client.post("/staff/logout")
    for _ in range(5):
        assert _refused(login(client, staff_user, "wrong password guess"))
    # Locked: even the right password is refused, with the same message.
    assert _refused(login(client, staff_user))
    with app.app_context():
        user = db.session.scalars(select(StaffUser).filter_by(email=staff_user)).one()
        assert user.locked_until > utcnow() + timedelta(minutes=14)


def test_lock_expires(app: Flask, client: FlaskClient, staff_user: str) -> None:
    _set(app, staff_user, locked_until=utcnow() - timedelta(seconds=1))
    assert login(client, staff_user).status_code == 302


def test_lockout_threshold_is_a_setting(client: FlaskClient, staff_user: str) -> None:
    client.application.config["STAFF_LOGIN_MAX_FAILURES"] = 2
    for _ in range(2):
        login(client, staff_user, "wrong password guess")
    assert _refused(login(client, staff_user))


def test_deactivated_account_cannot_log_in_and_loses_its_session(
    app: Flask, client: FlaskClient, staff_user: str
) -> None:
    assert login(client, staff_user).status_code == 302
    _set(app, staff_user, active=False)
    assert client.get("/staff/patients").status_code == 302  # open session ended
    assert _refused(login(client, staff_user))


def test_logout_is_post_only(client: FlaskClient, staff_user: str) -> None:
    login(client, staff_user)
    assert client.get("/staff/logout").status_code == 405
    assert client.get("/staff/patients").status_code == 200
    assert client.post("/staff/logout").status_code == 302
    assert client.get("/staff/patients").status_code == 302


def test_next_brings_you_back_to_the_page_you_asked_for(
    client: FlaskClient, staff_user: str
) -> None:
    first = client.get("/staff/inbox?handled=1")
    assert first.status_code == 302
    resp = client.post(first.location, data={"email": staff_user, "password": PASSWORD})
    assert resp.location == "/staff/inbox?handled=1"


@pytest.mark.parametrize(
    "target",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
    ],
)
def test_next_never_leaves_the_site(client: FlaskClient, staff_user: str, target: str) -> None:
    assert safe_next(target) is None
    resp = client.post(
        "/staff/login",
        query_string={"next": target},
        data={"email": staff_user, "password": PASSWORD},
    )
    assert resp.location == "/staff/patients"


def test_safe_next_keeps_local_paths() -> None:
    assert safe_next("/staff/patients/3?tab=scans") == "/staff/patients/3?tab=scans"


def test_staff_role_cannot_open_admin_pages(app: Flask, staff_client: FlaskClient) -> None:
    assert staff_client.get("/staff/users").status_code == 403
    assert staff_client.get("/staff/audit").status_code == 403
    resp = staff_client.post(
        "/staff/users",
        data={"email": "x@clinic.example", "password": "p" * 16, "confirm": "p" * 16},
    )
    assert resp.status_code == 403
    with app.app_context():
        assert (
            db.session.scalars(select(StaffUser).filter_by(email="x@clinic.example")).first()
            is None
        )
    # ...and the nav doesn't offer them.
    assert "Audit log" not in staff_client.get("/staff/patients").get_data(as_text=True)


def test_password_is_stored_hashed(app: Flask, staff_user: str) -> None:
    with app.app_context():
        stored = db.session.scalars(select(StaffUser.password_hash)).one()
    assert PASSWORD not in stored
    assert stored.startswith(("scrypt:", "pbkdf2:"))


def test_session_cookie_is_httponly_lax_and_secure_behind_https(
    client: FlaskClient, staff_user: str
) -> None:
    secure = load_config("/tmp", {"PUBLIC_BASE_URL": "https://bot.clinic.example"})
    assert secure["SESSION_COOKIE_SECURE"] is True
    client.application.config["SESSION_COOKIE_SECURE"] = True
    resp = login(client, staff_user)
    cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie


def test_pages_are_not_cached_or_framed(staff_client: FlaskClient) -> None:
    resp = staff_client.get("/staff/patients")
    assert resp.headers["Cache-Control"] == "no-store"
    assert resp.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in resp.headers["Content-Security-Policy"]


def test_logins_and_refusals_are_audited(app: Flask, client: FlaskClient, staff_user: str) -> None:
    login(client, staff_user, "wrong password guess")
    login(client, staff_user)
    client.post("/staff/logout")
    with app.app_context():
        actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["login.refused", "login", "logout"]


def test_login_page_is_usable_on_a_phone(client: FlaskClient) -> None:
    page = client.get("/staff/login").get_data(as_text=True)
    assert 'name="viewport" content="width=device-width' in page
