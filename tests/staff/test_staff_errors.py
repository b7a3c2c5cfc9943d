"""Error pages: in the staff layout with its navigation, saying what to do; no stack trace
and not the server's bare page. Machines (the webhook) keep their plain answers."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .helpers import Clinic, login

NAV = ('href="/staff/patients"', 'href="/staff/inbox"', "Log out")


def _is_styled(resp, code: int, title: str) -> str:  # noqa: ANN001
    page = resp.get_data(as_text=True)
    assert resp.status_code == code
    assert "/staff/static/staff.css" in page and f'data-code="{code}"' in page
    assert f"<h1>{title}</h1>" in page
    assert "Traceback" not in page and "werkzeug" not in page.lower()
    return page


def test_404_keeps_the_navigation(staff_client: FlaskClient) -> None:
    for url in ("/staff/patients/999999", "/no/such/page"):
        page = _is_styled(staff_client.get(url), 404, "Page not found")
        assert all(link in page for link in NAV)


def test_404_logged_out_offers_the_login(client: FlaskClient) -> None:
    page = _is_styled(client.get("/no/such/page"), 404, "Page not found")
    assert 'href="/staff/login"' in page and "Log out" not in page


def test_403_for_a_nurse_on_an_admin_page(staff_client: FlaskClient) -> None:
    page = _is_styled(staff_client.get("/staff/users"), 403, "You can&#39;t open this page")
    assert all(link in page for link in NAV)


def test_405_says_to_use_the_buttons(staff_client: FlaskClient) -> None:
    _is_styled(staff_client.get("/staff/logout"), 405, "That action can&#39;t be done this way")


def test_400_without_a_csrf_token_says_reload(
    csrf_on: None, app: Flask, client: FlaskClient, clinic: Clinic
) -> None:
    assert login(client, "admin@clinic.example").status_code == 302
    resp = client.post(f"/staff/patients/{clinic.patient_id}/pause")
    page = _is_styled(resp, 400, "That request could not be used")
    assert "reload the page" in page and all(link in page for link in NAV)


@pytest.fixture
def failing_app(app: Flask) -> Flask:
    """A view that raises, with exceptions handled as in production (not propagated)."""

    def boom() -> str:
        raise RuntimeError("a bug")

    app.add_url_rule("/staff/boom", "staff.boom", boom)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    return app


def test_500_is_a_page_not_a_trace(failing_app: Flask, staff_user: str) -> None:
    client = failing_app.test_client()
    assert login(client, staff_user).status_code == 302
    page = _is_styled(client.get("/staff/boom"), 500, "Something went wrong on our side")
    assert "a bug" not in page and "RuntimeError" not in page
    assert all(link in page for link in NAV)


def test_the_webhook_keeps_its_plain_answers(client: FlaskClient) -> None:
    resp = client.post("/sms", data={"From": "+16145550123", "Body": "hi"})
    assert resp.status_code == 403
    assert "staff.css" not in resp.get_data(as_text=True)
