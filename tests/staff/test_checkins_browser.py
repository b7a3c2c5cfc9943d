"""A real browser on the patient page: staff switch the weekly check-in on, the patient
answers two check-ins by text (signed webhooks over HTTP), and each symptom chart is an SVG
drawn from those answers: one point per answer, at the height of its value.

Debian's Chromium driven by Playwright, like test_staff_browser.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from bot.extensions import db
from tests.reminder_helpers import make_patient

from .browser import logged_in_page, text_in
from .helpers import PASSWORD, STAFF_EMAIL

PHONE = "+16145550177"


@pytest.fixture
def app_config(app_config: dict) -> dict:
    app_config["LOOP_MAX_PER_MINUTE"] = 100  # a dozen answers in a few seconds is this test
    return app_config


def _text(base: str, body: str) -> str:
    return text_in(base, body, PHONE)


def _answer_a_check_in(base: str, answers: list[str]) -> None:
    assert "weekly check-in" in _text(base, "CHECK")
    for answer in answers:
        _text(base, answer)


@pytest.mark.browser
def test_symptom_chart_is_drawn_from_the_patients_answers(
    live_server: str,
    app: Flask,
    tmp_path: Path,
    browser,  # noqa: ANN001
) -> None:
    from playwright.sync_api import expect

    with app.app_context():
        patient = make_patient(PHONE, tz="America/Chicago")
        patient.display_name = "C.K."
        db.session.commit()
        pid = patient.id

    page = logged_in_page(browser, live_server, STAFF_EMAIL, PASSWORD)
    page.goto(f"{live_server}/staff/patients/{pid}")
    expect(page.locator("#checkin-state")).to_contain_text("Off.")
    page.check("#checkin-enabled")
    page.select_option("#checkin-day", "tue")
    page.fill("#checkin-time", "10:00")
    page.get_by_role("button", name="Save check-in").click()
    expect(page.locator("#checkin-state")).to_contain_text("On: Tue 10:00 (America/Chicago)")

    # Week 1: 2 more loose stools, a bit short of breath with effort, ...
    _answer_a_check_in(live_server, ["2", "1", "0", "1", "no"])
    # Week 2: 5 more loose stools (grade 2: call today, flagged), breathing worse.
    _answer_a_check_in(live_server, ["five", "2", "0", "1", "no"])

    page.reload()
    page.screenshot(path=str(tmp_path / "checkins.png"), full_page=True)
    stools = page.locator("#chart-stools svg circle")
    expect(stools).to_have_count(2)
    assert [stools.nth(i).get_attribute("data-value") for i in range(2)] == ["2", "5"]
    assert [stools.nth(i).get_attribute("data-grade") for i in range(2)] == ["1", "2"]
    y = [float(stools.nth(i).get_attribute("cy")) for i in range(2)]
    assert y[1] < y[0]  # 5 is drawn higher than 2
    x = [float(stools.nth(i).get_attribute("cx")) for i in range(2)]
    assert x[0] < x[1]  # oldest on the left
    # The grade-2 line (4 more a day) lies between the two points.
    line_y = float(page.locator("#chart-stools line.threshold").get_attribute("y1"))
    assert y[1] < line_y < y[0]

    breathing = page.locator("#chart-breathing svg circle")
    assert [breathing.nth(i).get_attribute("data-value") for i in range(2)] == ["1", "2"]
    expect(page.locator("#checkin-timeline tr.checkin")).to_have_count(2)
    expect(page.locator("#checkin-timeline")).to_contain_text('Loose stools: "five" = 5, grade 2')

    # The inbox lists the flag with the answers that raised it.
    page.goto(f"{live_server}/staff/inbox")
    expect(page.locator(".checkin-flag").first).to_contain_text('Loose stools: "five" = 5, grade 2')
