"""Log in and out, the admin-only guard, and the `next` redirect check."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_limiter import RateLimitExceeded
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from bot.extensions import db, limiter
from bot.logs import log_event
from bot.staff import audit, bp
from bot.staff.accounts import authenticate, find_staff, normalize_email
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


def _address_key() -> str:
    # The client address as ProxyFix rebuilt it from X-Forwarded-For (one trusted proxy).
    return "address:" + (get_remote_address() or "-")


def _account_key() -> str:
    # The email as typed, normalised; unknown emails are counted the same way as known ones.
    return "account:" + normalize_email(request.form.get("email", ""))[:254]


def _limit(setting: str) -> Callable[[], str]:
    return lambda: current_app.config[setting]


@bp.errorhandler(RateLimitExceeded)
def too_many_attempts(exc: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    """A plain page, not a 500. Nothing says which limit was hit, so it can't tell whether
    an email has an account. Retry-After: at most one window of the limit that was hit."""
    log_event("staff.login_throttled", path=request.path)
    seconds = int(exc.limit.limit.get_expiry())
    page = render_template("staff/too_many.html", minutes=-(-seconds // 60))
    return page, 429, {"Retry-After": str(seconds)}


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("STAFF_LOGIN_LIMIT_PER_ADDRESS"), key_func=_address_key, methods=["POST"])
@limiter.limit(_limit("STAFF_LOGIN_LIMIT_PER_ACCOUNT"), key_func=_account_key, methods=["POST"])
def login() -> str | Response:
    """Every POST counts against the address and the account it names (shared by every
    worker), before the password is even checked; the lockout below still applies."""
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
