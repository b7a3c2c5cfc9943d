"""`flask staff ...`: the first account is made from the command line."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask
from sqlalchemy import select

from bot.extensions import db
from bot.models import StaffUser, utcnow

from .helpers import login

NEW_PASSWORD = "a brand new long password"


def _user(app: Flask, email: str) -> StaffUser | None:
    with app.app_context():
        user = db.session.scalars(select(StaffUser).filter_by(email=email)).first()
        if user is not None:
            db.session.expunge(user)
        return user


def test_add_admin_from_stdin_then_log_in(app: Flask, runner) -> None:  # noqa: ANN001
    result = runner.invoke(
        args=["staff", "add", "you@clinic.org", "--admin", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    assert "added you@clinic.org (admin)" in result.output
    client = app.test_client()
    assert login(client, "you@clinic.org", NEW_PASSWORD).status_code == 302
    assert client.get("/staff/audit").status_code == 200


def test_add_prompts_twice_without_echo(app: Flask, runner) -> None:  # noqa: ANN001
    result = runner.invoke(
        args=["staff", "add", "nurse@clinic.org"], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    user = _user(app, "nurse@clinic.org")
    assert user is not None and not user.is_admin


def test_add_refuses_mismatched_short_or_duplicate(app: Flask, runner) -> None:  # noqa: ANN001
    mismatch = runner.invoke(
        args=["staff", "add", "a@clinic.org"], input=f"{NEW_PASSWORD}\nsomething else entirely\n"
    )
    assert mismatch.exit_code != 0 and _user(app, "a@clinic.org") is None

    short = runner.invoke(
        args=["staff", "add", "b@clinic.org", "--password-stdin"], input="short\n"
    )
    assert short.exit_code != 0 and "at least 12" in short.output
    assert _user(app, "b@clinic.org") is None

    first = runner.invoke(
        args=["staff", "add", "c@clinic.org", "--password-stdin"], input=NEW_PASSWORD
    )
    again = runner.invoke(
        args=["staff", "add", "C@clinic.org", "--password-stdin"], input=NEW_PASSWORD
    )
    assert first.exit_code == 0 and again.exit_code != 0
    assert "already has an account" in again.output

    bad = runner.invoke(
        args=["staff", "add", "not-an-email", "--password-stdin"], input=NEW_PASSWORD
    )
    assert bad.exit_code != 0 and "not an email" in bad.output


def test_password_reset_lifts_a_lockout(app: Flask, runner, staff_user: str) -> None:  # noqa: ANN001
    with app.app_context():
        user = db.session.scalars(select(StaffUser).filter_by(email=staff_user)).one()
        user.locked_until = utcnow() + timedelta(days=365)  # .replace(year=+1) fails on 29 Feb
        db.session.commit()
    result = runner.invoke(
        args=["staff", "password", staff_user, "--password-stdin"], input=NEW_PASSWORD
    )
    assert result.exit_code == 0, result.output
    assert login(app.test_client(), staff_user, NEW_PASSWORD).status_code == 302


def test_deactivate_and_list(app: Flask, runner, staff_user: str) -> None:  # noqa: ANN001
    assert runner.invoke(args=["staff", "deactivate", staff_user]).exit_code == 0
    assert login(app.test_client(), staff_user).status_code == 200  # refused
    listing = runner.invoke(args=["staff", "list"]).output
    assert f"{staff_user}\tstaff\tdeactivated" in listing
    missing = runner.invoke(args=["staff", "deactivate", "ghost@clinic.org"])
    assert missing.exit_code != 0 and "no staff account" in missing.output
