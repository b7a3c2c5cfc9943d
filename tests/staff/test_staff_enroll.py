"""Enrolling from the console: validation, normalisation, double opt-in, no duplicates."""

from __future__ import annotations

from datetime import UTC, date
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import ConsentEvent, Patient, Scan
from tests.conftest import Phone

from .helpers import in_future


def _form(**overrides: object) -> dict:
    form = {
        "phone": "(614) 555-0142",
        "display_name": "R.T.",
        "timezone": "America/New_York",
        "language": "en",
        "scan_kind": "CT",
    }
    form.update(overrides)
    return form


def _sent(app: Flask) -> list[dict]:
    return app.extensions["nextsteps.transport"].sent


def _patients(app: Flask) -> list[tuple]:
    with app.app_context():
        return [
            tuple(r)
            for r in db.session.execute(
                select(Patient.phone, Patient.status, Patient.timezone, Patient.display_name)
            )
        ]


def test_enroll_normalises_the_number_and_sends_one_opt_in(
    app: Flask, staff_client: FlaskClient
) -> None:
    resp = staff_client.post("/staff/patients/new", data=_form(), follow_redirects=True)
    page = resp.get_data(as_text=True)
    assert "+16145550142" in page and "pending" in page
    assert "opt-in text sent" in page
    assert _patients(app) == [("+16145550142", "pending", "America/New_York", "R.T.")]
    assert [m["to"] for m in _sent(app)] == ["+16145550142"]
    assert "Reply YES" in _sent(app)[0]["body"]


def test_yes_reply_makes_the_patient_active(
    app: Flask, staff_client: FlaskClient, client: FlaskClient
) -> None:
    staff_client.post("/staff/patients/new", data=_form())
    Phone(client, "+16145550142").text("yes")
    with app.app_context():
        patient_id = db.session.scalar(select(Patient.id))
    page = staff_client.get(f"/staff/patients/{patient_id}").get_data(as_text=True)
    assert 'id="patient-status">active<' in page
    assert "opt_in" in page  # the consent history shows the YES


def test_bad_number_gets_a_clear_error_and_nothing_is_sent(
    app: Flask, staff_client: FlaskClient
) -> None:
    resp = staff_client.post("/staff/patients/new", data=_form(phone="555-12"))
    assert resp.status_code == 200
    assert "is not a valid phone number" in resp.get_data(as_text=True)
    assert _patients(app) == [] and _sent(app) == []


def test_default_region_reads_numbers_without_a_country_code(
    app_config: dict, app: Flask, staff_client: FlaskClient
) -> None:
    app.config["DEFAULT_REGION"] = "GB"
    staff_client.post("/staff/patients/new", data=_form(phone="07400 123456"))
    assert _patients(app)[0][0] == "+447400123456"


def test_re_enrolling_updates_without_duplicate_or_second_text(
    app: Flask, staff_client: FlaskClient
) -> None:
    staff_client.post("/staff/patients/new", data=_form())
    resp = staff_client.post(
        "/staff/patients/new",
        data=_form(phone="+1 614 555 0142", display_name="RT", timezone="America/Chicago"),
        follow_redirects=True,
    )
    assert "Already enrolled" in resp.get_data(as_text=True)
    assert _patients(app) == [("+16145550142", "pending", "America/Chicago", "RT")]
    assert len(_sent(app)) == 1


def test_a_number_that_texted_stop_is_refused(
    app: Flask, staff_client: FlaskClient, client: FlaskClient
) -> None:
    Phone(client, "+16145550142").text("STOP")
    sent_before = len(_sent(app))
    resp = staff_client.post("/staff/patients/new", data=_form())
    assert "opted out" in resp.get_data(as_text=True)
    assert _patients(app)[0][1] == "stopped"
    assert len(_sent(app)) == sent_before


def test_other_time_zone_is_checked(app: Flask, staff_client: FlaskClient) -> None:
    bad = staff_client.post(
        "/staff/patients/new", data=_form(timezone="other", timezone_other="Mars/Olympus")
    )
    assert "is not a time zone" in bad.get_data(as_text=True)
    assert _patients(app) == []
    staff_client.post(
        "/staff/patients/new", data=_form(timezone="other", timezone_other="America/Boise")
    )
    assert _patients(app)[0][2] == "America/Boise"


def test_scan_time_is_the_patients_local_time(app: Flask, staff_client: FlaskClient) -> None:
    local = in_future(21, 9)
    staff_client.post(
        "/staff/patients/new",
        data=_form(
            timezone="America/Los_Angeles",
            scan_at=local.strftime("%Y-%m-%dT%H:%M"),
            scan_kind="PET",
        ),
    )
    expected = local.replace(tzinfo=ZoneInfo("America/Los_Angeles")).astimezone(UTC)
    with app.app_context():
        scan = db.session.scalars(select(Scan)).one()
        assert (scan.scheduled_at, scan.kind) == (expected.replace(tzinfo=None), "PET")
        patient_id = scan.patient_id
    page = staff_client.get(f"/staff/patients/{patient_id}").get_data(as_text=True)
    # Staff pages show one zone, the clinic's (New York), labelled: 9:00 in LA is 12:00.
    assert "Times in America/New_York" in page
    assert local.strftime("%Y-%m-%d 12:00 E") in page  # EST or EDT
    assert " PST" not in page and " PDT" not in page


def test_scan_in_the_past_is_refused_before_any_text(app: Flask, staff_client: FlaskClient) -> None:
    resp = staff_client.post(
        "/staff/patients/new", data=_form(scan_at=in_future(-2).strftime("%Y-%m-%dT%H:%M"))
    )
    assert "the scan time is in the past" in resp.get_data(as_text=True)
    assert _patients(app) == [] and _sent(app) == []


def test_rescan_rhythm_is_stored(app: Flask, staff_client: FlaskClient) -> None:
    staff_client.post(
        "/staff/patients/new",
        data=_form(treatment_start="2026-01-05", rhythm_first_weeks="8", rhythm_every_weeks="12"),
    )
    with app.app_context():
        p = db.session.scalars(select(Patient)).one()
        assert (p.treatment_start.date(), p.rhythm_first_weeks, p.rhythm_every_weeks) == (
            date(2026, 1, 5),
            8,
            12,
        )


def test_half_a_rhythm_is_refused(app: Flask, staff_client: FlaskClient) -> None:
    resp = staff_client.post(
        "/staff/patients/new", data=_form(treatment_start="2026-01-05", rhythm_every_weeks="12")
    )
    assert "needs all three" in resp.get_data(as_text=True)
    assert _patients(app) == []


def test_enroll_writes_audit_rows_without_phi(app: Flask, staff_client: FlaskClient) -> None:
    staff_client.post(
        "/staff/patients/new", data=_form(scan_at=in_future(10).strftime("%Y-%m-%dT%H:%M"))
    )
    from bot.models import AuditEntry

    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.target, AuditEntry.detail)
        ).all()
        pid = db.session.scalar(select(Patient.id))
        events = db.session.scalar(select(func.count(ConsentEvent.id)))
    assert events == 1  # opt_in_requested
    actions = {r.action for r in rows}
    assert {"patient.enroll", "scan.add"} <= actions
    for row in rows:
        text = " ".join(row)
        assert "5550142" not in text and "R.T." not in text
        if row.action in ("patient.enroll", "scan.add"):
            assert row.target == f"patient:{pid}" and row.actor == "nurse@clinic.example"


def test_enroll_form_offers_common_us_zones_and_defaults_to_the_clinic_zone(
    staff_client: FlaskClient,
) -> None:
    page = staff_client.get("/staff/patients/new").get_data(as_text=True)
    for zone in ("America/Chicago", "America/Denver", "America/Los_Angeles", "Pacific/Honolulu"):
        assert f'value="{zone}"' in page
    assert '<option selected value="America/New_York">' in page or (
        'value="America/New_York" selected' in page
    )


def test_enrolling_in_spanish_invites_in_spanish_and_shows_the_language(
    app: Flask, staff_client: FlaskClient
) -> None:
    resp = staff_client.post(
        "/staff/patients/new", data=_form(language="es"), follow_redirects=True
    )
    assert "Spanish" in resp.get_data(as_text=True)  # the patient page
    assert "Responda SI" in _sent(app)[0]["body"]
    listing = staff_client.get("/staff/patients").get_data(as_text=True)
    assert '<td data-label="Language">es</td>' in listing


def test_enrolling_without_a_language_asks_in_both(app: Flask, staff_client: FlaskClient) -> None:
    staff_client.post("/staff/patients/new", data=_form(language=""))
    body = _sent(app)[0]["body"]
    assert "Reply YES" in body and "Responda SI" in body
    listing = staff_client.get("/staff/patients").get_data(as_text=True)
    assert '<td data-label="Language">not known</td>' in listing
