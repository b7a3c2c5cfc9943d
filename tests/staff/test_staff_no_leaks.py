"""Nothing about a patient leaves the console without a login, and the audit log never
holds PHI."""

from __future__ import annotations

import io

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.extensions import db
from bot.models import AuditEntry
from tests.conftest import Phone

from .helpers import DISTINCT_NAME, DISTINCT_PHONE, Clinic, in_future, login
from .test_staff_routes import RULES, build_url

# Every way the seeded patient could show up: name, number (E.164, digits, as typed), text.
LEAKS = (DISTINCT_NAME, "Quuxley", DISTINCT_PHONE, "6145550199", "555-0199", "breathe")


def _assert_clean(resp) -> None:  # noqa: ANN001
    seen = resp.get_data(as_text=True) + " " + str(resp.headers)
    for leak in LEAKS:
        assert leak not in seen, f"{leak!r} leaked"


@pytest.mark.parametrize("csrf", [False, True], ids=["csrf-off", "csrf-on"])
def test_no_patient_data_without_login(csrf: bool, app: Flask, clinic: Clinic) -> None:
    app.config["WTF_CSRF_ENABLED"] = csrf
    client = app.test_client()
    form = {
        "phone": DISTINCT_PHONE,
        "q": "Quux",
        "note": "x",
        "confirm": "ERASE",
        "scan_at": in_future(3).strftime("%Y-%m-%dT%H:%M"),
    }
    for endpoint, _ in RULES:
        url = build_url(app, endpoint, clinic)
        for method in ("GET", "POST"):
            for follow in (False, True):
                data = dict(form) if method == "POST" else None
                if endpoint == "staff.import_csv" and method == "POST":
                    data["file"] = (io.BytesIO(b"phone\n614-555-0199\n"), "x.csv")
                resp = client.open(
                    url + "?status=pending&upcoming=1",
                    method=method,
                    data=data,
                    follow_redirects=follow,
                )
                _assert_clean(resp)
    # ...and none of those requests changed anything.
    app.config["WTF_CSRF_ENABLED"] = False
    staff = app.test_client()
    login(staff, "nurse@clinic.example")
    page = staff.get(f"/staff/patients/{clinic.patient_id}").get_data(as_text=True)
    assert DISTINCT_NAME in page and 'id="patient-status">pending<' in page


def test_audit_log_holds_ids_not_phi(
    app: Flask, staff_client: FlaskClient, client: FlaskClient, clinic: Clinic
) -> None:
    Phone(client, clinic.phone).text("yes")
    base = f"/staff/patients/{clinic.patient_id}"
    staff_client.get(base)
    staff_client.post(
        f"{base}/scans", data={"add-scan_at": in_future(40).strftime("%Y-%m-%dT%H:%M")}
    )
    staff_client.post(
        f"{base}/scans/{clinic.scan_id}/move",
        data={"scan_at": in_future(41).strftime("%Y-%m-%dT%H:%M")},
    )
    staff_client.post(f"{base}/scans/{clinic.scan_id}/cancel")
    staff_client.post(f"{base}/pause")
    staff_client.post(f"{base}/resume")
    staff_client.post(
        f"/staff/inbox/{clinic.message_id}/handle",
        data={"note": f"Called {DISTINCT_NAME} at {DISTINCT_PHONE}"},
    )
    staff_client.post(
        "/staff/import",
        data={
            "file": (
                io.BytesIO(f"phone,name\n{DISTINCT_PHONE},{DISTINCT_NAME}\n".encode()),
                "a.csv",
            )
        },
    )
    staff_client.post(f"{base}/unenroll", data={"confirmed": "y"})
    staff_client.post(f"{base}/erase", data={"confirm": "ERASE"})

    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
        actions = [r.action for r in rows]
        text = " ".join(f"{r.actor} {r.action} {r.target} {r.detail}" for r in rows)
    for action in (
        "patient.view",
        "scan.add",
        "scan.move",
        "scan.cancel",
        "patient.pause",
        "patient.resume",
        "inbox.handle",
        "import.csv",
        "patient.enroll",
        "patient.unenroll",
        "patient.erase",
    ):
        assert action in actions, action
    for leak in LEAKS:
        assert leak not in text, f"{leak!r} in the audit log"
    assert f"patient:{clinic.patient_id}" in text


def test_audit_page_shows_who_did_what(
    app: Flask, admin_client: FlaskClient, clinic: Clinic
) -> None:
    admin_client.post(f"/staff/patients/{clinic.patient_id}/unenroll", data={"confirmed": "y"})
    page = admin_client.get("/staff/audit").get_data(as_text=True)
    assert "patient.unenroll" in page and "admin@clinic.example" in page
    only_nurse = admin_client.get("/staff/audit?actor=nurse@clinic.example").get_data(as_text=True)
    assert "patient.unenroll" not in only_nurse
