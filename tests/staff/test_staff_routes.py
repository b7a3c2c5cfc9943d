"""Every /staff route, three ways: logged out (sent to log in), without a CSRF token
(400), and the happy path (it does what a staff member expects).

The route list comes from the app's url_map, so a new route without a case here fails
`test_every_route_has_a_happy_path`.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot import create_app
from bot.extensions import db
from bot.models import ACTIVE, PAUSED, AuditEntry, Message, Patient, Scan, StaffUser

from .helpers import Clinic, csrf_token, in_future, login

PUBLIC = {"staff.login", "staff.static"}


def _staff_rules() -> list[tuple[str, str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    return sorted(
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.rule.startswith("/staff")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"})
    )


RULES = _staff_rules()
PRIVATE = [(e, m) for e, m in RULES if e not in PUBLIC]
POSTS = [(e, m) for e, m in RULES if m == "POST"]


def build_url(app: Flask, endpoint: str, clinic: Clinic) -> str:
    values = {
        "patient_id": clinic.patient_id,
        "scan_id": clinic.scan_id,
        "message_id": clinic.message_id,
        "user_id": clinic.user_id,
        "filename": "staff.css",
        "name": "reminders",
    }
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        return url_for(endpoint, **{k: v for k, v in values.items() if k in rule.arguments})


# --- logged out -------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "method"), PRIVATE)
def test_logged_out_is_sent_to_login(
    app: Flask, client: FlaskClient, clinic: Clinic, endpoint: str, method: str
) -> None:
    url = build_url(app, endpoint, clinic)
    resp = client.open(url, method=method)
    assert resp.status_code == 302
    assert resp.location.startswith("/staff/login")


# --- CSRF -------------------------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "method"), POSTS)
def test_post_without_csrf_token_is_refused(
    csrf_on: None, app: Flask, client: FlaskClient, clinic: Clinic, endpoint: str, method: str
) -> None:
    assert login(client, "admin@clinic.example").status_code == 302
    before = _snapshot(app)
    resp = client.post(build_url(app, endpoint, clinic), data={"note": "x", "confirm": "ERASE"})
    assert resp.status_code == 400
    assert _snapshot(app) == before, "a POST without a CSRF token changed something"


def _snapshot(app: Flask) -> tuple:
    with app.app_context():
        return (
            db.session.scalar(select(func.count(Patient.id))),
            tuple(db.session.scalars(select(Patient.status).order_by(Patient.id))),
            tuple(db.session.scalars(select(Scan.status).order_by(Scan.id))),
            db.session.scalar(select(func.count(Message.handled_at))),
            tuple(db.session.scalars(select(StaffUser.active).order_by(StaffUser.id))),
            db.session.scalar(
                select(func.count(AuditEntry.id)).where(AuditEntry.action != "login")
            ),
        )


def test_post_with_csrf_token_is_accepted(
    csrf_on: None, app: Flask, client: FlaskClient, clinic: Clinic
) -> None:
    assert login(client, "admin@clinic.example").status_code == 302
    page = client.get(f"/staff/patients/{clinic.patient_id}")
    resp = client.post(
        f"/staff/patients/{clinic.patient_id}/scans/{clinic.scan_id}/cancel",
        data={"csrf_token": csrf_token(page.data)},
    )
    assert resp.status_code == 302
    with app.app_context():
        assert db.session.get(Scan, clinic.scan_id).status == "cancelled"


# --- happy paths ------------------------------------------------------------------------


def _db(app: Flask, fn: Callable):  # noqa: ANN202
    with app.app_context():
        result = fn()
        db.session.commit()
        return result


def _status(app: Flask, clinic: Clinic) -> str | None:
    """The patient's status now (None: no such patient)."""
    return _db(
        app, lambda: db.session.scalar(select(Patient.status).filter_by(id=clinic.patient_id))
    )


def _set_status(status: str) -> Callable:
    def setup(app: Flask, clinic: Clinic) -> None:
        _db(app, lambda: setattr(db.session.get(Patient, clinic.patient_id), "status", status))

    return setup


def _unenrolled_by_staff(app: Flask, clinic: Clinic) -> None:
    from bot.patients.lifecycle import unenroll

    _db(app, lambda: unenroll(db.session.get(Patient, clinic.patient_id), "nurse@clinic.example"))


@dataclass
class Case:
    """What a staff member does on this route and what they then see."""

    method: str
    check: Callable  # (app, clinic, response) -> None; asserts
    data: Callable = field(default=lambda clinic: {})  # (clinic) -> form
    setup: Callable | None = None  # (app, clinic) -> None
    follow: bool = False


def _page_shows(*texts: str) -> Callable:
    def check(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
        assert resp.status_code == 200
        body = resp.get_data(as_text=True)
        for text in texts:
            assert text.format(c=clinic) in body

    return check


def _check_enroll_post(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 302
    sent = app.extensions["nextsteps.transport"].sent
    assert sent[-1]["to"] == "+16145550142"
    assert "Reply YES" in sent[-1]["body"]


def _check_scan_count(n: int) -> Callable:
    def check(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
        assert resp.status_code == 302
        count = _db(app, lambda: db.session.scalar(select(func.count(Scan.id))))
        assert count == n

    return check


def _check_status(status: str) -> Callable:
    def check(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
        assert resp.status_code == 302
        assert _status(app, clinic) == status

    return check


def _check_moved(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 302
    page = _open_patient_page(app, clinic)
    # Entered in the patient's zone (Chicago), shown in the clinic's (New York).
    assert in_future(30, 14).strftime("%Y-%m-%d 15:00") in page


def _open_patient_page(app: Flask, clinic: Clinic) -> str:
    client = app.test_client()
    login(client, "nurse@clinic.example")
    return client.get(f"/staff/patients/{clinic.patient_id}").get_data(as_text=True)


def _check_zone(tz: str) -> Callable:
    def check(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
        assert resp.status_code == 302
        page = _open_patient_page(app, clinic)
        assert f"<dd>{tz}</dd>" in page and "Z.Q." in page and "Spanish" in page

    return check


def _page_has(app: Flask, clinic: Clinic, resp, text: str) -> None:  # noqa: ANN001
    assert resp.status_code == 302
    assert text in _open_patient_page(app, clinic)


def _check_scan_cancelled(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 302
    assert _db(app, lambda: db.session.get(Scan, clinic.scan_id).status) == "cancelled"


def _check_erased(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 302
    assert _status(app, clinic) is None


def _check_handled(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 302
    handled = _db(
        app,
        lambda: db.session.execute(
            select(Message.handled_note, Message.handled_by).filter_by(id=clinic.message_id)
        ).one(),
    )
    assert tuple(handled) == ("Called her; she is going to the ER.", "admin@clinic.example")


def _check_import(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 200
    assert "enrolled, opt-in text sent" in resp.get_data(as_text=True)
    phones = _db(app, lambda: list(db.session.scalars(select(Patient.phone))))
    assert "+13125550188" in phones


def _check_user_added(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 302
    fresh = app.test_client()
    assert login(fresh, "new.nurse@clinic.example", "a long new password").status_code == 302


def _check_active(active: bool) -> Callable:
    def check(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
        assert resp.status_code == 302
        can_login = login(app.test_client(), "nurse@clinic.example").status_code == 302
        assert can_login is active

    return check


def _check_logged_in(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 302 and resp.location == "/staff/patients"


def _check_logged_out(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 302 and resp.location.endswith("/staff/login")


def _deactivate_nurse(app: Flask, clinic: Clinic) -> None:
    _db(app, lambda: setattr(db.session.get(StaffUser, clinic.user_id), "active", False))


CASES: dict[tuple[str, str], Case] = {
    ("staff.home", "GET"): Case("GET", _page_shows("Patients", "{c.name}"), follow=True),
    ("staff.login", "GET"): Case("GET", _page_shows("Log in")),
    ("staff.login", "POST"): Case(
        "POST",
        _check_logged_in,
        data=lambda c: {
            "email": "nurse@clinic.example",
            "password": "correct horse battery staple",
        },
    ),
    ("staff.logout", "POST"): Case("POST", _check_logged_out),
    ("staff.static", "GET"): Case("GET", _page_shows("The staff console")),
    ("staff.patients", "GET"): Case("GET", _page_shows("{c.name}", "{c.phone}", "pending")),
    ("staff.enroll", "GET"): Case("GET", _page_shows("Enroll a patient", "America/Chicago")),
    ("staff.enroll", "POST"): Case(
        "POST",
        _check_enroll_post,
        data=lambda c: {
            "phone": "614-555-0142",
            "display_name": "R.T.",
            "timezone": "America/New_York",
            "language": "en",
            "scan_kind": "PET",
            "scan_at": in_future(20).strftime("%Y-%m-%dT%H:%M"),
        },
    ),
    ("staff.patient", "GET"): Case(
        "GET", _page_shows("{c.name}", "{c.phone}", "can&#39;t breathe", "opt_in_requested")
    ),
    ("staff.add_scan_view", "POST"): Case(
        "POST",
        _check_scan_count(2),
        data=lambda c: {"add-scan_at": in_future(60).strftime("%Y-%m-%dT%H:%M"), "add-kind": "CT"},
    ),
    ("staff.move_scan_view", "POST"): Case(
        "POST",
        _check_moved,
        data=lambda c: {"scan_at": in_future(30, 14).strftime("%Y-%m-%dT%H:%M")},
    ),
    ("staff.cancel_scan_view", "POST"): Case("POST", _check_scan_cancelled),
    ("staff.pause", "POST"): Case("POST", _check_status(PAUSED), setup=_set_status(ACTIVE)),
    ("staff.resume", "POST"): Case("POST", _check_status(ACTIVE), setup=_set_status(PAUSED)),
    ("staff.unenroll_confirm", "GET"): Case(
        "GET", _page_shows("Unenroll {c.name}?", "not as the patient opting out")
    ),
    ("staff.unenroll", "POST"): Case(
        "POST", _check_status("stopped"), data=lambda c: {"confirmed": "y"}
    ),
    ("staff.undo_unenroll", "POST"): Case(
        "POST", _check_status("pending"), setup=_unenrolled_by_staff
    ),
    ("staff.erase", "POST"): Case("POST", _check_erased, data=lambda c: {"confirm": "ERASE"}),
    ("staff.checkins_set", "POST"): Case(
        "POST",
        lambda app, clinic, resp: _page_has(app, clinic, resp, "On: Tue 10:00"),
        data=lambda c: {"checkin-enabled": "y", "checkin-day": "tue", "checkin-time": "10:00"},
    ),
    ("staff.inbox", "GET"): Case("GET", _page_shows("can&#39;t breathe", "{c.name}", "urgent")),
    ("staff.handle", "POST"): Case(
        "POST", _check_handled, data=lambda c: {"note": "Called her; she is going to the ER."}
    ),
    ("staff.import_csv", "GET"): Case("GET", _page_shows("scan_kind", "discreet")),
    ("staff.import_csv", "POST"): Case(
        "POST",
        _check_import,
        data=lambda c: {
            "file": (io.BytesIO(b"phone,name\n312-555-0188,AK\n"), "patients.csv"),
        },
    ),
    ("staff.users", "GET"): Case("GET", _page_shows("nurse@clinic.example", "Add a staff member")),
    ("staff.users", "POST"): Case(
        "POST",
        _check_user_added,
        data=lambda c: {
            "email": "New.Nurse@clinic.example",
            "password": "a long new password",
            "confirm": "a long new password",
        },
    ),
    ("staff.deactivate_user", "POST"): Case("POST", _check_active(False)),
    ("staff.activate_user", "POST"): Case("POST", _check_active(True), setup=_deactivate_nurse),
    ("staff.record_json", "GET"): Case("GET", _page_shows('"phone": "{c.phone}"', "consent")),
    ("staff.record_csv_view", "GET"): Case(
        "GET", _page_shows("section,id,when_utc", "{c.phone}", "opt_in_requested")
    ),
    ("staff.edit_patient", "GET"): Case("GET", _page_shows("{c.name}", "America/Chicago")),
    ("staff.edit_patient", "POST"): Case(
        "POST",
        _check_zone("America/Denver"),
        data=lambda c: {"display_name": "Z.Q.", "timezone": "America/Denver", "language": "es"},
    ),
    ("staff.audit_log", "GET"): Case(
        "GET", _page_shows("login", "patient.enroll", "patient:{c.patient_id}")
    ),
    ("staff.questions", "GET"): Case(
        "GET", _page_shows("Questions", "Texts from the last 30 days")
    ),
    ("staff.answers", "GET"): Case("GET", _page_shows("Answers", "pseudoprogression-what-qa")),
}


def _check_text_sent(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 302
    sent = app.extensions["nextsteps.transport"].sent
    assert sent[-1] == {**sent[-1], "to": clinic.phone, "body": "Please call us today."}
    page = _open_patient_page(app, clinic)
    assert "Staff (admin@clinic.example)" in page and "Please call us today." in page


def _check_csv(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    lines = resp.get_data(as_text=True).splitlines()
    assert lines[0] == "day,planned,sent,delivered,failed,skipped or cancelled"
    assert len(lines) == 31  # the header and the last 30 days


def _check_simulated(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 200
    assert "HOSPICIO" in resp.get_data(as_text=True)


def _check_simulator_reset(app: Flask, clinic: Clinic, resp) -> None:  # noqa: ANN001
    assert resp.status_code == 200
    page = resp.get_data(as_text=True)
    assert "Simulator reset" in page and 'id="sim-status">pending<' in page


CASES.update(
    {
        ("staff.send_text", "POST"): Case(
            "POST",
            _check_text_sent,
            data=lambda c: {"body": "Please call us today.", "confirmed": "y"},
        ),
        ("staff.dashboard", "GET"): Case(
            "GET", _page_shows("Texts in, per day and topic", "<svg", "Download")
        ),
        ("staff.dashboard_csv", "GET"): Case("GET", _check_csv),
        ("staff.simulator", "GET"): Case("GET", _page_shows("Phone simulator", "Text as the")),
        ("staff.simulator_text", "POST"): Case(
            "POST", _check_simulated, data=lambda c: {"body": "HOSPICIO"}, follow=True
        ),
        ("staff.simulator_reset", "POST"): Case(
            "POST",
            _check_simulator_reset,
            data=lambda c: {"start_as": "pending", "language": "es"},
            follow=True,
        ),
    }
)


def test_every_route_has_a_happy_path() -> None:
    assert set(RULES) == set(CASES)


@pytest.mark.parametrize(("endpoint", "method"), RULES)
def test_happy_path(
    csrf_on: None,
    app: Flask,
    admin_client: FlaskClient,
    clinic: Clinic,
    endpoint: str,
    method: str,
) -> None:
    """Run with real CSRF checks: each POST carries the token its page would give it."""
    case = CASES[(endpoint, method)]
    if endpoint == "staff.login":
        token = csrf_token(admin_client.get("/staff/patients").data)
        admin_client.post("/staff/logout", data={"csrf_token": token})
    if case.setup:
        case.setup(app, clinic)
    data = case.data(clinic)
    if case.method == "POST":
        token = csrf_token(
            admin_client.get(
                "/staff/login" if endpoint == "staff.login" else "/staff/patients"
            ).data
        )
        # Prefixed forms (the add-scan form) carry their own copy of the token.
        data.update({"csrf_token": token, "add-csrf_token": token})
    url = build_url(app, endpoint, clinic)
    resp = admin_client.open(url, method=case.method, data=data, follow_redirects=case.follow)
    case.check(app, clinic, resp)
