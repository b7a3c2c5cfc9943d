"""A patient's record from the patient page: the JSON and CSV downloads, editing the
details (a new time zone replans the reminders), and bodies blanked by retention."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from bot.extensions import db
from bot.models import PLANNED, AuditEntry, Patient
from bot.patients.record import spreadsheet_cell
from schedules.clock import tick
from tests.conftest import Phone
from tests.reminder_helpers import make_patient, planned_local, reminders, scan_at

from .helpers import page_text

pytestmark = pytest.mark.usefixtures("now")

ALMA = "+16145550123"
BERT = "+16145550124"


@pytest.fixture
def alma(app: Flask, client: FlaskClient) -> int:
    """An active patient in Chicago with a scan, who texted twice; and another patient."""
    with app.app_context():
        patient = make_patient(ALMA, tz="America/Chicago")
        patient.display_name = "Alma R."
        scan_at(patient, "2027-01-12 09:30", kind="PET")
        make_patient(BERT)
        db.session.commit()
        pid = patient.id
    Phone(client, ALMA).text('=HYPERLINK("http://x") can I get hospice at home?')
    Phone(client, BERT).text("TRIALS")
    return pid


def _audit(app: Flask, action: str) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return [(r.target, r.detail) for r in rows]


def test_json_record_holds_details_consent_texts_scans_reminders(
    app: Flask, alma: int, staff_client: FlaskClient
) -> None:
    resp = staff_client.get(f"/staff/patients/{alma}/record.json")
    assert resp.status_code == 200
    assert resp.headers["Content-Disposition"] == (
        f'attachment; filename="patient-{alma}-record.json"'
    )
    record = json.loads(resp.data)
    assert record["patient"]["phone"] == ALMA and record["patient"]["name"] == "Alma R."
    assert record["patient"]["time_zone"] == "America/Chicago"
    texts = [t["text"] for t in record["texts"]]
    assert texts[0].startswith("=HYPERLINK") and len(texts) == 2  # the text and our answer
    assert "TRIALS" not in json.dumps(record)  # nobody else's texts
    assert [s["kind"] for s in record["scans"]] == ["PET"]
    assert record["scans"][0]["when"]["local"] == "2027-01-12T09:30:00-06:00"
    assert [r["days_before"] for r in record["reminders"]] == [7, 1]
    assert record["reminders"][0]["when"]["local"] == "2027-01-05T10:00:00-06:00"
    assert _audit(app, "patient.export") == [(f"patient:{alma}", "json")]


def test_csv_record_opens_in_a_spreadsheet_without_running_formulas(
    app: Flask, alma: int, staff_client: FlaskClient
) -> None:
    resp = staff_client.get(f"/staff/patients/{alma}/record.csv")
    assert resp.status_code == 200 and resp.mimetype == "text/csv"
    assert resp.headers["Content-Disposition"].endswith(f'patient-{alma}-record.csv"')
    text = resp.data.decode("utf-8")
    assert text.startswith("\ufeff")  # Excel reads it as UTF-8
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    by_section: dict[str, list[dict]] = {}
    for row in rows:
        by_section.setdefault(row["section"], []).append(row)
    details = {r["what"]: r["text"] for r in by_section["patient"]}
    assert details["phone"] == ALMA and details["name"] == "Alma R."  # a number, as is
    first_text = by_section["texts"][0]
    assert first_text["text"].startswith("'=HYPERLINK")  # shown, never run as a formula
    assert first_text["what"] == "inbound"
    assert [r["what"] for r in by_section["scans"]] == ["PET"]
    assert [r["what"] for r in by_section["reminders"]] == ["7", "1"]
    assert _audit(app, "patient.export") == [(f"patient:{alma}", "csv")]


def test_new_time_zone_replans_the_reminders(
    app: Flask, alma: int, staff_client: FlaskClient
) -> None:
    with app.app_context():
        assert planned_local(db.session.get(Patient, alma)) == [
            "2027-01-05 10:00",
            "2027-01-11 10:00",
        ]
    resp = staff_client.post(
        f"/staff/patients/{alma}/edit",
        data={"display_name": "Alma R.", "timezone": "America/Los_Angeles", "language": "en"},
        follow_redirects=True,
    )
    page = page_text(resp)
    assert "Reminders replanned for the new time zone" in page
    assert "<dd>America/Los_Angeles</dd>" in page
    with app.app_context():
        patient = db.session.get(Patient, alma)
        # 10:00 in Los Angeles now, both of them.
        assert planned_local(patient) == ["2027-01-05 10:00", "2027-01-11 10:00"]
        due = [r.due_at.hour for r in reminders(patient, PLANNED)]
        assert due == [18, 18]  # 10:00 PST is 18:00 UTC (it was 16:00 for Chicago)
        assert (patient.language, patient.discreet) == ("en", False)
    assert _audit(app, "patient.edit") == [(f"patient:{alma}", "timezone")]


def test_edit_form_shows_the_details_and_refuses_an_unknown_zone(
    app: Flask, alma: int, staff_client: FlaskClient
) -> None:
    form = page_text(staff_client.get(f"/staff/patients/{alma}/edit"))
    assert 'value="Alma R."' in form and "America/Chicago" in form and ALMA in form
    resp = staff_client.post(
        f"/staff/patients/{alma}/edit",
        data={
            "display_name": "X",
            "timezone": "other",
            "timezone_other": "Mars/Olympus",
            "language": "en",
        },
    )
    assert "Not saved: 'Mars/Olympus' is not a time zone" in page_text(resp)
    with app.app_context():
        patient = db.session.get(Patient, alma)
        assert (patient.display_name, patient.timezone) == ("Alma R.", "America/Chicago")
    assert _audit(app, "patient.edit") == []


def test_nothing_changed_is_said_and_not_audited(
    app: Flask, alma: int, staff_client: FlaskClient
) -> None:
    data = {"display_name": "Alma R.", "timezone": "America/Chicago", "language": "en"}
    resp = staff_client.post(f"/staff/patients/{alma}/edit", data=data, follow_redirects=True)
    assert "Nothing changed." in page_text(resp)
    assert _audit(app, "patient.edit") == []


def test_retention_shows_on_the_patient_page(
    app: Flask, alma: int, staff_client: FlaskClient, now
) -> None:  # noqa: ANN001
    with app.app_context():
        tick(now=now + timedelta(days=400))
    page = page_text(staff_client.get(f"/staff/patients/{alma}"))
    assert page.count("(text removed after the retention period)") == 2
    assert "HYPERLINK" not in page


@pytest.mark.parametrize(
    "text",
    ["=1+1", " =1+1", "\u00a0=cmd", "\uff1dHYPERLINK(1)", "\u3000+1", "@SUM(A1)", "-2+3", "\tx"],
)
def test_every_formula_start_is_neutralised_even_behind_blanks_or_fullwidth(text: str) -> None:
    assert spreadsheet_cell(text) == "'" + text


@pytest.mark.parametrize("text", ["+15551234567", "how are you", " hello", "4 = 2+2", ""])
def test_ordinary_cells_and_phone_numbers_stay_as_written(text: str) -> None:
    assert spreadsheet_cell(text) == text
