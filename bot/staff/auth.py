"""Log in and out, the admin-only guard, and the `next` redirect check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from bot.extensions import db
from bot.staff import audit, bp
from bot.staff.accounts import authenticate, find_staff
from bot.staff.forms import LoginForm

# One message for every refusal, so the form can't tell which emails have accounts.
LOGIN_REFUSED = "Wrong email or password. After 5 wrong tries the account is locked for a while."


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None (no open redirect).

    Browsers read a backslash as a slash and drop tabs and newlines, so "/\\evil.com"
    and "/\\t/evil.com" would leave the site: anything unusual is refused.
    """
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def admin_required(view: Callable) -> Callable:
    @wraps(view)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        if not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)

    return wrapper


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if current_user.is_authenticated:
        return redirect(url_for("staff.patients"))
    form = LoginForm()
    if form.validate_on_submit():
        user = authenticate(form.email.data, form.password.data)
        if user is None:
            known = find_staff(form.email.data)
            if known is not None:
                audit.record("login.refused", f"staff:{known.id}", actor=known.email)
                db.session.commit()
            flash(LOGIN_REFUSED, "error")
        else:
            session.clear()  # nothing from before the login carries over
            login_user(user)
            audit.record("login", f"staff:{user.id}")
            db.session.commit()
            return redirect(safe_next(request.args.get("next")) or url_for("staff.patients"))
    return render_template("staff/login.html", form=form)


@bp.post("/logout")
def logout() -> Response:
    # CSRFProtect has already checked the token: a cross-site POST can't log anyone out.
    audit.record("logout", f"staff:{current_user.id}")
    db.session.commit()
    logout_user()
    session.clear()
    return redirect(url_for("staff.login"))
