"""A real browser through the console: log in, enroll, the patient texts YES, and the
patient page shows them active with a reminder planned.

Debian's Chromium (/usr/bin/chromium) driven by Playwright; the app runs in a real HTTP
server thread on 127.0.0.1 with real CSRF tokens, and the YES arrives as a signed Twilio
webhook over HTTP.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask

from .browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, text_in
from .helpers import PASSWORD, STAFF_EMAIL, in_future

PATIENT_PHONE = "+16145550142"


def _text_from_patient(base: str, body: str) -> str:
    return text_in(base, body, PATIENT_PHONE)


@pytest.mark.browser
def test_enroll_then_yes_in_a_real_browser(live_server: str, app: Flask, tmp_path: Path) -> None:
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    scan_at = in_future(21, 9)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            # A phone-sized screen: the console must work there.
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.set_default_timeout(15_000)

            page.goto(f"{live_server}/staff/patients/new")
            expect(page).to_have_url(f"{live_server}/staff/login?next=%2Fstaff%2Fpatients%2Fnew")
            page.fill("#email", STAFF_EMAIL)
            page.fill("#password", PASSWORD)
            page.get_by_role("button", name="Log in").click()

            expect(page.get_by_role("heading", name="Enroll a patient")).to_be_visible()
            page.fill("#phone", "614-555-0142")
            page.fill("#display_name", "R.T.")
            page.select_option("#timezone", "America/Chicago")
            page.fill("#scan_at", scan_at.strftime("%Y-%m-%dT%H:%M"))
            page.select_option("#scan_kind", "CT")
            page.get_by_role("button", name="Enroll and send the opt-in text").click()

            expect(page.locator("#patient-status")).to_have_text("pending")
            # Staff pages show the clinic's zone (New York): 09:00 in Chicago is 10:00 there.
            expect(page.locator("#scans")).to_contain_text(scan_at.strftime("%Y-%m-%d 10:00"))

            sent = app.extensions["nextsteps.transport"].sent
            assert [m["to"] for m in sent] == [PATIENT_PHONE]
            assert "Reply YES" in sent[0]["body"]

            twiml = _text_from_patient(live_server, "YES")
            assert "You&apos;re in!" in twiml or "You're in!" in twiml

            page.reload()
            page.screenshot(path=str(tmp_path / "patient-after-yes.png"), full_page=True)
            expect(page.locator("#patient-status")).to_have_text("active")
            expect(page.locator("#consent")).to_contain_text("opt_in")
            # Planned by bot.reminders.planner.replan() when the scan was added.
            expect(page.locator("#reminders tr.reminder.planned").first).to_be_visible()
        finally:
            browser.close()
    assert (tmp_path / "patient-after-yes.png").stat().st_size > 0


@pytest.mark.browser
def test_edit_time_zone_and_download_the_record_in_a_real_browser(
    live_server: str, app: Flask, tmp_path: Path
) -> None:
    """A nurse moves a patient to Los Angeles time: the reminders show in the new zone;
    then she downloads the patient's record as CSV."""
    require_chromium()
    from playwright.sync_api import expect, sync_playwright

    from bot.extensions import db
    from tests.reminder_helpers import make_patient, scan_at

    with app.app_context():
        patient = make_patient(PATIENT_PHONE, tz="America/Chicago")
        patient.display_name = "R.T."
        scan_at(patient, in_future(21, 9).strftime("%Y-%m-%d %H:%M"))
        pid = patient.id
        db.session.commit()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, accept_downloads=True)
            page.set_default_timeout(15_000)
            page.goto(f"{live_server}/staff/patients/{pid}")
            page.fill("#email", STAFF_EMAIL)
            page.fill("#password", PASSWORD)
            page.get_by_role("button", name="Log in").click()
            # 10:00 the patient's time, shown in the clinic's zone (New York).
            expect(page.locator("#reminders")).to_contain_text(re.compile(r"11:00 E[SD]T"))

            page.get_by_role("link", name="Edit details").click()
            page.select_option("#timezone", "America/Los_Angeles")
            page.get_by_role("button", name="Save").click()
            expect(page.get_by_text("Reminders replanned for the new time zone")).to_be_visible()
            expect(page.locator("#reminders tr.reminder.planned").first).to_contain_text(
                re.compile(r"13:00 E[SD]T")
            )

            with page.expect_download() as info:
                page.get_by_role("link", name="CSV").click()
            saved = tmp_path / info.value.suggested_filename
            info.value.save_as(saved)
        finally:
            browser.close()
    assert saved.name == f"patient-{pid}-record.csv"
    text = saved.read_text(encoding="utf-8-sig")
    assert text.startswith("section,id,when_utc") and f"patient,{pid}," in text
    assert PATIENT_PHONE in text and "America/Los_Angeles" in text
