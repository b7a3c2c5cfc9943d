"""Admins manage staff accounts."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from .helpers import Clinic, login, page_text

NEW = {
    "email": "new@clinic.example",
    "password": "long enough password",
    "confirm": "long enough password",
}


def test_add_refuses_duplicates_and_mismatched_passwords(admin_client: FlaskClient) -> None:
    dup = admin_client.post(
        "/staff/users", data=dict(NEW, email="Admin@Clinic.example"), follow_redirects=True
    )
    assert "admin@clinic.example already has an account" in page_text(dup)
    mismatch = admin_client.post("/staff/users", data=dict(NEW, confirm="something else"))
    assert "Passwords differ." in mismatch.get_data(as_text=True)
    short = admin_client.post("/staff/users", data=dict(NEW, password="short", confirm="short"))
    assert "at least 12" in short.get_data(as_text=True)
    assert "new@clinic.example" not in admin_client.get("/staff/users").get_data(as_text=True)


def test_new_admin_can_manage_staff(app: Flask, admin_client: FlaskClient) -> None:
    admin_client.post("/staff/users", data=dict(NEW, is_admin="y"))
    other = app.test_client()
    login(other, "new@clinic.example", "long enough password")
    assert other.get("/staff/users").status_code == 200


def test_admin_cannot_deactivate_themselves(
    app: Flask, admin_client: FlaskClient, clinic: Clinic
) -> None:
    with app.app_context():
        from bot.staff.accounts import find_staff

        admin_id = find_staff("admin@clinic.example").id
    resp = admin_client.post(f"/staff/users/{admin_id}/deactivate", follow_redirects=True)
    assert "You can't deactivate your own account." in page_text(resp)
    assert admin_client.get("/staff/users").status_code == 200  # still logged in
