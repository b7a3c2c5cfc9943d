"""Staff accounts: create, authenticate (with lockout), deactivate. No HTTP here.

The console views, the admin pages and `flask staff ...` all go through these functions,
so the password and lockout rules live in one place.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from werkzeug.security import check_password_hash, generate_password_hash

from bot.extensions import db
from bot.models import StaffUser, utcnow

MIN_PASSWORD_LENGTH = 12
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Checked against when the email is unknown, so a miss costs as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


class AccountError(ValueError):
    """Bad account input; the message is shown to staff as is."""


def normalize_email(raw: str) -> str:
    return (raw or "").strip().lower()


def check_new_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must be at least {MIN_PASSWORD_LENGTH} characters")
    return password


def find_staff(email: str) -> StaffUser | None:
    return db.session.scalars(
        select(StaffUser).where(StaffUser.email == normalize_email(email))
    ).first()


def load_user(user_id: str) -> StaffUser | None:
    """Flask-Login's user_loader: a deactivated account loses its open sessions too."""
    if not user_id.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    return user if user is not None and user.active else None


def create_staff(email: str, password: str, is_admin: bool = False) -> StaffUser:
    """A new active account (scrypt-hashed password). Caller commits."""
    email = normalize_email(email)
    if not _EMAIL.match(email) or len(email) > 254:
        raise AccountError(f"{email!r} is not an email address")
    if find_staff(email) is not None:
        raise AccountError(f"{email} already has an account")
    user = StaffUser(
        email=email,
        password_hash=generate_password_hash(check_new_password(password)),
        is_admin=is_admin,
        active=True,
        failed_logins=0,
    )
    db.session.add(user)
    db.session.flush()
    return user


def set_password(user: StaffUser, password: str) -> None:
    """New password; also lifts a lockout. Caller commits."""
    user.password_hash = generate_password_hash(check_new_password(password))
    user.failed_logins = 0
    user.locked_until = None


def set_active(user: StaffUser, active: bool) -> None:
    user.active = active


def authenticate(email: str, password: str) -> StaffUser | None:
    """The account if the password is right and it may log in now; None otherwise. Commits.

    Every refusal looks the same to the caller (unknown email, wrong password, locked,
    deactivated), so the login page can't be used to find out which emails have accounts.
    """
    user = find_staff(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    now = utcnow()
    if user.locked_until is not None and user.locked_until > now:
        return None
    if not check_password_hash(user.password_hash, password):
        _record_failure(user, now)
        return None
    if not user.active:
        return None
    user.failed_logins = 0
    user.locked_until = None
    db.session.commit()
    return user


def _record_failure(user: StaffUser, now: datetime) -> None:
    cfg = current_app.config
    # Incremented in SQL: two wrong guesses at the same moment both count.
    db.session.execute(
        update(StaffUser)
        .where(StaffUser.id == user.id)
        .values(failed_logins=StaffUser.failed_logins + 1)
    )
    db.session.refresh(user)
    if user.failed_logins >= cfg["STAFF_LOGIN_MAX_FAILURES"]:
        user.locked_until = now + timedelta(minutes=cfg["STAFF_LOCKOUT_MINUTES"])
        user.failed_logins = 0
    db.session.commit()
