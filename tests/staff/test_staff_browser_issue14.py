"""Real browser (Debian's Chromium, Playwright) through the staff conversations, the
dashboard, the simulator, and axe-core on every staff page.

Same setup as test_staff_browser.py: the app in a real HTTP server thread with real CSRF
tokens, texts as signed Twilio webhooks over HTTP, and here the fake Twilio on loopback
behind the real twilio client. The clock runs (tick=True) from a fixed afternoon after
NOW, so quiet hours never decide the outcome by accident.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask

from bot.extensions import db
from bot.models import ACTIVE, Patient
from bot.sms.segments import segment_info
from bot.staff.accounts import create_staff

from .browser import logged_in_page, require_chromium, served, text_in
from .helpers import ADMIN_EMAIL, PASSWORD, STAFF_EMAIL
from .test_staff_simulator import row_counts

AXE = (
    Path(__file__).resolve().parents[2]
    / ".ci"
    / "node"
    / "node_modules"
    / "axe-core"
    / "axe.min.js"
)
PHONE = "+16145550142"
pytestmark = pytest.mark.browser


@pytest.fixture
def live(csrf_on: None, now: datetime, time_machine, app_config: dict, request) -> Iterator[tuple]:  # noqa: ANN001
    """(base URL, app, fake Twilio): an active patient, a nurse and an admin."""
    require_chromium()
    time_machine.move_to((now + timedelta(hours=6)).isoformat() + "+00:00", tick=True)
    fake = request.getfixturevalue("fake_twilio")
    app = request.getfixturevalue("twilio_app")
    with app.app_context():
        create_staff(STAFF_EMAIL, PASSWORD)
        create_staff(ADMIN_EMAIL, PASSWORD, is_admin=True)
        db.session.add(Patient(phone=PHONE, display_name="R.T.", status=ACTIVE))
        db.session.commit()
    with served(app) as base:
        yield base, app, fake


def _page(browser, base: str, email: str = STAFF_EMAIL, **context):  # noqa: ANN001, ANN003, ANN202
    return logged_in_page(browser, base, email, PASSWORD, **context)


def _text_in(base: str, body: str) -> None:
    """The patient texts us: a signed webhook over HTTP."""
    text_in(base, body, PHONE)


def _patient_id(app: Flask) -> int:
    with app.app_context():
        return db.session.query(Patient.id).filter_by(phone=PHONE).scalar()


def test_send_a_text_and_see_it_in_the_thread(live: tuple, browser) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    base, app, fake = live
    page = _page(browser, base)
    page.goto(f"{base}/staff/patients/{_patient_id(app)}")
    # The page's counter does what bot/sms/segments.py does.
    samples = ["", "hola", "x" * 160, "x" * 161, "{[€]}" * 40, "We’ll call", "é" * 71, "🙂 ok"]
    for text in samples:
        got = page.evaluate(
            "t => nextstepsSegmentInfo(t, {basic: document.querySelector('form[data-sms-basic]')"
            ".dataset.smsBasic, extended: document.querySelector('form[data-sms-basic]')"
            ".dataset.smsExtended, limits: [160, 153, 70, 67]})",
            text,
        )
        info = segment_info(text)
        assert (got["encoding"], got["units"], got["segments"]) == (
            info.encoding,
            info.units,
            info.segments,
        ), text

    box = page.locator("#text-patient")
    box.focus()  # keyboard only from here
    page.keyboard.type("We’ll call you")
    expect(page.locator("#gsm-patient")).to_contain_text("Not plain SMS: ’")
    expect(page.locator("#count-patient")).to_have_text("14 characters, 1 segment (UCS-2)")
    page.keyboard.press("Control+A")
    page.keyboard.type("Hello R.T., please call the clinic at 614-555-0100 today.")
    expect(page.locator("#gsm-patient")).to_be_hidden()
    expect(page.locator("#count-patient")).to_have_text("57 characters, 1 segment (GSM-7)")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Sent. Delivery updates show in the thread.")).to_be_visible()
    thread = page.locator("#messages .msg.outbound").last
    expect(thread).to_contain_text("please call the clinic")
    expect(thread).to_contain_text(f"Staff ({STAFF_EMAIL})")
    (sent,) = fake.messages
    assert sent["to"] == PHONE and "please call the clinic" in sent["body"]

    _text_in(base, "ok I will call, thank you")  # the answer threads after it
    page.reload()
    expect(page.locator("#messages .msg.inbound").last).to_contain_text("ok I will call")


def test_a_stopped_number_is_refused(live: tuple, browser) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    base, app, fake = live
    page = _page(browser, base)
    page.goto(f"{base}/staff/patients/{_patient_id(app)}")
    page.fill("#text-patient", "Are you feeling better?")
    _text_in(base, "STOP")  # while the nurse types
    page.get_by_role("button", name="Send text").click()
    expect(page.locator(".flash.error")).to_contain_text("this number has opted out")
    expect(page.locator("#refused-patient")).to_be_visible()
    expect(page.locator("#text-patient")).to_have_count(0)
    assert fake.messages == []


def test_the_dashboard_draws_charts_from_real_rows(live: tuple, browser) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    base, app, fake = live
    for text in ("side effects", "HOSPICE", "what are side efects", "I can't breathe"):
        _text_in(base, text)
    page = _page(browser, base)
    page.get_by_role("link", name="Dashboard").click()
    chart = page.locator("#texts_in svg[role=img]")
    expect(chart).to_be_visible()
    expect(chart.locator("rect.bar")).to_have_count(3)  # side_effects, hospice, urgent
    expect(chart.locator("rect.bar title").first).to_contain_text("2 side_effects")
    expect(page.locator("#open_flags svg rect.bar")).to_have_count(1)
    expect(page.locator("#texts_in")).to_contain_text("4 texts in")
    with page.expect_download() as download:
        page.locator("#texts_in").get_by_text("as CSV").click()
    lines = Path(download.value.path()).read_text().splitlines()
    assert lines[0] == "day,side_effects,hospice,urgent" and lines[-1].endswith(",2,1,1")


def test_a_simulator_round_trip_records_nothing(live: tuple, browser) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    base, app, fake = live
    page = _page(browser, base)
    page.get_by_role("link", name="Simulator").click()
    before = row_counts(app)
    box = page.get_by_label("Text as the patient")
    box.fill("side effects")
    box.press("Enter")
    expect(page.locator(".bubble.bot").last).to_contain_text("side effect")
    page.locator(".bubble.bot").last.get_by_text("Why").click()
    expect(page.locator(".bubble.bot").last).to_contain_text("Decided by")
    page.get_by_label("Text as the patient").fill("STOP")
    page.get_by_label("Text as the patient").press("Enter")
    expect(page.locator("#sim-status")).to_have_text("stopped")
    page.get_by_role("button", name="Reset the conversation").click()
    expect(page.get_by_text("No texts yet.")).to_be_visible()
    expect(page.locator("#sim-status")).to_have_text("active")
    assert row_counts(app) == before
    assert fake.messages == []


def test_the_simulator_pane_scrolls_to_the_newest_message(live: tuple, browser) -> None:  # noqa: ANN001
    from playwright.sync_api import expect

    base, _, _ = live
    page = _page(browser, base)
    page.goto(f"{base}/staff/simulator")
    for text in ("side effects", "hospice", "trials", "palliative", "MORE", "NEXT"):
        page.get_by_label("Text as the patient").fill(text)
        page.get_by_label("Text as the patient").press("Enter")
        expect(page.locator(".bubble.mine").last).to_have_text(text)
    pane = page.locator("#sim-thread")
    overflow = pane.evaluate("el => el.scrollHeight - el.clientHeight")
    assert overflow > 0, "the thread should be taller than its pane"
    assert pane.evaluate("el => el.scrollHeight - el.clientHeight - el.scrollTop") <= 2
    expect(page.locator(".bubble.bot").last).to_be_in_viewport()


def _axe(page) -> list[str]:  # noqa: ANN001
    """Serious and critical axe-core violations on the page, one line each."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _require_axe() -> None:
    if not AXE.exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {AXE} is missing: .ci/run must npm install axe-core")
        pytest.skip("axe-core is not installed (npm install --prefix .ci/node axe-core@4)")


def test_axe_finds_nothing_serious_on_the_too_many_logins_page(
    csrf_on: None,
    app_config: dict,
    browser,
    request,  # noqa: ANN001
) -> None:
    """The page a locked-out nurse sees (429), with the throttle at a small size."""
    _require_axe()
    app_config["STAFF_LOGIN_LIMIT_PER_ADDRESS"] = "2 per minute"
    app = request.getfixturevalue("app")  # built (and its database emptied) with that limit
    with served(app) as base:
        page = browser.new_context(bypass_csp=True).new_page()
        for _ in range(3):
            page.goto(f"{base}/staff/login")
            page.fill("#email", STAFF_EMAIL)
            page.fill("#password", "not the password")
            page.get_by_role("button", name="Log in").click()
        page.get_by_role("heading", name="Too many login attempts").wait_for()
        assert _axe(page) == []


def test_axe_finds_nothing_serious_on_any_staff_page(live: tuple, browser) -> None:  # noqa: ANN001
    _require_axe()
    base, app, fake = live
    _text_in(base, "I can't breathe")  # a flag in the inbox, a thread on the patient page
    pid = _patient_id(app)
    # axe is injected as a script: only the test's own context lifts the CSP.
    anon = browser.new_context(bypass_csp=True).new_page()
    anon.goto(f"{base}/staff/login")
    found = {"login": _axe(anon)}
    page = _page(browser, base, ADMIN_EMAIL, bypass_csp=True)
    pages = {
        "patients": "/staff/patients",
        "enroll": "/staff/patients/new",
        "patient": f"/staff/patients/{pid}",
        "edit patient": f"/staff/patients/{pid}/edit",
        "inbox": "/staff/inbox",
        "inbox handled": "/staff/inbox?handled=1",
        "import": "/staff/import",
        "users": "/staff/users",
        "audit": "/staff/audit",
        "dashboard": "/staff/dashboard",
        "simulator": "/staff/simulator",
    }
    for name, path in pages.items():
        page.goto(base + path)
        found[name] = _axe(page)
    page.goto(f"{base}/staff/simulator")
    page.get_by_label("Text as the patient").fill("side effects")
    page.get_by_label("Text as the patient").press("Enter")
    found["simulator with a conversation"] = _axe(page)
    page.goto(f"{base}/staff/patients/{pid}")
    page.fill("#text-patient", "We’ll call you")  # a warning: the confirmation page
    page.get_by_role("button", name="Send text").click()
    page.get_by_role("heading", name="Send this text anyway?").wait_for()
    found["confirm a text"] = _axe(page)
    page.goto(f"{base}/staff/import")
    big = b"phone,name\n" + b"+16145550100,A patient\n" * 4000  # over MAX_CONTENT_LENGTH
    upload = {"name": "big.csv", "mimeType": "text/csv", "buffer": big}
    page.set_input_files("#file", files=[upload])
    page.get_by_role("button", name="Import").click()
    page.get_by_role("heading", name="That file is too large").wait_for()
    found["file too large"] = _axe(page)
    assert {k: v for k, v in found.items() if v} == {}


def test_the_first_tab_offers_to_skip_the_menu(live: tuple, browser) -> None:  # noqa: ANN001
    """A keyboard or screen-reader user reaches the page without tabbing through the menu."""
    from playwright.sync_api import expect

    base, _app, _fake = live
    page = _page(browser, base)
    page.goto(f"{base}/staff/inbox")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).not_to_be_in_viewport()  # out of sight for a mouse user
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    expect(skip).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.locator("main")).to_be_focused()
    page.keyboard.press("Tab")  # the next stop is in the page, not the menu
    focused = page.evaluate("document.activeElement.closest('main') !== null")
    assert focused
