"""Error pages: a 400, 403, 404, 405 or 500 is a page in the staff layout (navigation
kept), saying what happened and what to do; never a stack trace or the server's bare page.

Registered on the app, so an unknown address outside /staff gets the same page. The
webhook and the ops endpoints answer machines: their error responses are left as they are.
"""

from __future__ import annotations

from flask import Flask, render_template, request
from werkzeug.exceptions import HTTPException

from bot.extensions import db

# What each page says: a title and what to do next, in plain words.
PAGES = {
    400: ("That request could not be used", "If you were filling in a form, it may have "
          "expired: go back, reload the page and try again."),
    403: ("You can't open this page", "Your account does not have access to it. Ask an "
          "admin if you need it."),
    404: ("Page not found", "The address may be mistyped, or the record was removed "
          "(erased patients are gone for good)."),
    405: ("That action can't be done this way", "Use the buttons on the page rather than "
          "typing the address."),
    500: ("Something went wrong on our side", "It was not something you did, and it has "
          "been logged. Try again in a minute; if it keeps happening, tell your admin."),
}  # fmt: skip
MACHINE_PREFIXES = ("/sms", "/healthz", "/metrics")


def register_error_pages(app: Flask) -> None:
    """One handler for every HTTP error. An unhandled exception reaches it as a 500 (Flask
    logs it first); under TESTING it still propagates to the test, as it should."""
    app.register_error_handler(HTTPException, _http_error)


def _http_error(exc: HTTPException) -> tuple[str, int] | HTTPException:
    code = exc.code or 500
    if code not in PAGES or request.path.startswith(MACHINE_PREFIXES):
        return exc  # 401, 413, 429... and machines' answers: as they were
    return _page(code)


def _page(code: int) -> tuple[str, int]:
    title, advice = PAGES[code]
    if code >= 500:
        db.session.rollback()  # the failed transaction must not break the page's own reads
    try:
        return render_template("staff/error.html", code=code, title=title, advice=advice), code
    except Exception:  # noqa: BLE001  (the database may be why we are here: say it plainly)
        return f"{title}. {advice}\n", code
