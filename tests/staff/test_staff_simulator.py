"""/staff/simulator: the webhook's decide() answers a pretend patient; nothing is sent
and not one row is written anywhere in the database."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.extensions import db

from .helpers import page_text


def row_counts(app: Flask) -> dict[str, int]:
    """Rows in every table of the schema."""
    with app.app_context():
        return {
            t.name: db.session.scalar(select(func.count()).select_from(t))
            for t in db.metadata.sorted_tables
        }


def _say(client: FlaskClient, text: str) -> str:
    return page_text(client.post("/staff/simulator", data={"body": text}, follow_redirects=True))


def test_a_conversation_records_nothing_and_sends_nothing(
    app: Flask, staff_client: FlaskClient
) -> None:
    staff_client.get("/staff/simulator")
    before = row_counts(app)
    page = _say(staff_client, "HOSPICIO")
    assert "hospicio" in page.lower() and "Decided by</dt><dd>keyword" in page
    page = _say(staff_client, "I can't breathe")
    assert "911" in page and "urgent (a real text would go to the inbox)" in page
    page = _say(staff_client, "STOP")
    assert 'id="sim-status">stopped<' in page and "would become stopped" in page
    page = _say(staff_client, "side effects")  # a stopped number: the bot stays silent
    assert "(no reply: the bot stays silent)" in page

    assert row_counts(app) == before
    assert app.extensions["nextsteps.transport"].sent == []

    page = page_text(
        staff_client.post(
            "/staff/simulator/reset",
            data={"start_as": "active", "language": ""},
            follow_redirects=True,
        )
    )
    assert 'id="sim-status">active<' in page and "No texts yet." in page
    assert row_counts(app) == before


def test_the_conversation_has_a_memory_like_the_webhook(staff_client: FlaskClient) -> None:
    """MORE continues the last topic, as it does on a real phone."""
    _say(staff_client, "side effects")
    page = _say(staff_client, "MORE")
    assert "Topic</dt><dd>more" in page


def test_a_long_conversation_fits_in_the_session_cookie(
    app: Flask, staff_client: FlaskClient
) -> None:
    for _ in range(12):
        _say(staff_client, "what can I expect from hospice care at home? " * 8)
    page = _say(staff_client, "trials")
    assert "Topic</dt><dd>trials" in page
    assert page.count('class="bubble mine"') == 6  # the last six exchanges are kept
    # Browsers drop a cookie over 4096 bytes (and the staff member with it).
    assert len(staff_client.get_cookie("session").value) < 4000


def test_the_page_loads_the_script_that_scrolls_the_pane_to_the_newest(
    staff_client: FlaskClient,
) -> None:
    """The browser test (test_staff_browser_issue14) checks the scroll itself; this one
    runs without Chromium: the script is served, loaded, and scrolls #sim-thread."""
    page = staff_client.get("/staff/simulator").get_data(as_text=True)
    assert '<script src="/staff/static/simulator.js" defer></script>' in page
    script = staff_client.get("/staff/static/simulator.js").get_data(as_text=True)
    assert 'getElementById("sim-thread")' in script
    assert "scrollTop = thread.scrollHeight" in script
