"""The staff console: a server-rendered blueprint under /staff.

Every view needs a logged-in staff member except the login page and the stylesheet;
the gate is here, once, rather than a decorator each new view could forget.
"""

from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Response, abort, current_app, request
from flask_login import current_user

from bot.extensions import login_manager
from bot.models import Scan
from bot.timeutil import to_local

bp = Blueprint(
    "staff", __name__, url_prefix="/staff", template_folder="templates", static_folder="static"
)

PUBLIC_ENDPOINTS = frozenset({"staff.login", "staff.static"})


@bp.before_request
def refuse_nul() -> None:
    """A NUL byte is never text a person typed, and PostgreSQL cannot store one: a clear
    400 before any view (and before the login check, so nothing is looked up with it)."""
    values = [*request.args.values(), *request.form.values(), *request.args, *request.form]
    if any("\x00" in value for value in values):
        abort(400, "A field holds a NUL byte, which is not text.")


@bp.before_request
def require_login() -> Response | None:
    if request.endpoint in PUBLIC_ENDPOINTS or current_user.is_authenticated:
        return None
    return login_manager.unauthorized()


@bp.after_request
def no_store(response: Response) -> Response:
    """Pages hold PHI: no caching anywhere, no framing, no third-party anything."""
    if request.endpoint != "staff.static":
        response.headers["Cache-Control"] = "no-store"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Content-Security-Policy"] = (
        "default-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    )
    return response


@bp.context_processor
def nav_counts() -> dict:
    if not current_user.is_authenticated:
        return {}
    from bot.staff.inbox import unhandled_count

    return {"unhandled_count": unhandled_count()}


@bp.app_template_filter("local")
def local_time(utc_naive: datetime | None) -> str:
    """A stored UTC time as staff read it: always in the clinic's zone (labelled on every
    page), so the inbox and the audit never mix zones. Texts use the patient's zone."""
    if utc_naive is None:
        return ""
    local = to_local(utc_naive, current_app.config["DEFAULT_TIMEZONE"])
    return local.strftime("%a %Y-%m-%d %H:%M %Z")


@bp.app_template_filter("scan_when")
def scan_when(scan: Scan) -> str:
    """A scan's time for staff; a date from the rescan rhythm has no time yet (staff set it
    by moving the scan), so none is invented."""
    if scan.time_confirmed:
        return local_time(scan.scheduled_at)
    local = to_local(scan.scheduled_at, current_app.config["DEFAULT_TIMEZONE"])
    return f"{local:%a %Y-%m-%d}, time to be confirmed"


@bp.app_template_filter("local_input")
def local_input(utc_naive: datetime, tz: str) -> str:
    """The value a datetime-local input needs to show this time in the patient's zone."""
    return to_local(utc_naive, tz).strftime("%Y-%m-%dT%H:%M")


# The views register themselves on `bp`.
from bot.staff import (  # noqa: E402, F401
    admin,
    answers,
    auth,
    checkins,
    conversation,
    dashboard,
    imports,
    inbox,
    patients,
    questions,
    records,
    simulator,
)
