"""Staff console fixtures: accounts, logged-in clients, CSRF tokens, a seeded clinic."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from bot.extensions import db
from bot.models import INBOUND, Message
from bot.staff import intake
from bot.staff.accounts import create_staff

from .browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, served
from .helpers import (
    ADMIN_EMAIL,
    DISTINCT_NAME,
    DISTINCT_PHONE,
    PASSWORD,
    STAFF_EMAIL,
    Clinic,
    in_future,
    login,
)


@pytest.fixture
def staff_user(app: Flask) -> str:
    with app.app_context():
        create_staff(STAFF_EMAIL, PASSWORD)
        db.session.commit()
    return STAFF_EMAIL


@pytest.fixture
def admin_user(app: Flask) -> str:
    with app.app_context():
        create_staff(ADMIN_EMAIL, PASSWORD, is_admin=True)
        db.session.commit()
    return ADMIN_EMAIL


@pytest.fixture
def staff_client(client: FlaskClient, staff_user: str) -> FlaskClient:
    assert login(client, staff_user).status_code == 302
    return client


@pytest.fixture
def admin_client(client: FlaskClient, admin_user: str) -> FlaskClient:
    assert login(client, admin_user).status_code == 302
    return client


@pytest.fixture
def csrf_on(app_config: dict) -> None:
    """Real CSRF checks (request this fixture before `app`/`client`)."""
    app_config["WTF_CSRF_ENABLED"] = True


@pytest.fixture
def clinic(app: Flask, admin_user: str, staff_user: str) -> Clinic:
    """One enrolled patient with a scan and a flagged text, plus two staff accounts."""
    from bot.staff.accounts import find_staff

    with app.app_context():
        done = intake.apply(
            intake.Intake(
                phone=DISTINCT_PHONE,
                display_name=DISTINCT_NAME,
                timezone="America/Chicago",
                scan_at=in_future(21),
            ),
            actor=ADMIN_EMAIL,
            source="staff",
        )
        db.session.flush()
        msg = Message(
            direction=INBOUND,
            phone=DISTINCT_PHONE,
            patient_id=done.patient.id,
            body="I feel like I can't breathe",
            status="received",
            flag="urgent",
        )
        db.session.add(msg)
        db.session.commit()
        return Clinic(
            patient_id=done.patient.id,
            scan_id=done.patient.scans[0].id,
            message_id=msg.id,
            user_id=find_staff(staff_user).id,
            name=DISTINCT_NAME,
            phone=DISTINCT_PHONE,
        )


@pytest.fixture
def live_server(csrf_on: None, app: Flask, staff_user: str) -> Iterator[str]:
    """The app on a real port with real CSRF and a nurse's account (browser tests),
    warmed as the web server is (bot.create_web_app), so no page waits on training."""
    app.extensions["nextsteps.pipeline"].warm()
    with served(app) as base:
        yield base


@pytest.fixture
def browser() -> Iterator:  # noqa: ANN201
    """Debian's Chromium, headless, driven by Playwright."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()
