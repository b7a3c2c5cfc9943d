"""Validation at every door: the CLI, the console's enroll form and the CSV import refuse
the same bad input with the same clear reason, and write and send nothing."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import ConsentEvent, Message, Patient, Scan

from .helpers import page_text

pytestmark = pytest.mark.usefixtures("now")

GOOD_PHONE = "+16145550142"
UK_LANDLINE = "+442079460000"


def _bad_inputs(now: datetime) -> dict[str, tuple[dict, str]]:
    """name -> (the fields, the reason every door must give)."""
    past = f"{now - timedelta(days=2):%Y-%m-%d %H:%M}"
    return {
        "scan in the past": ({"scan_at": past}, "the scan time is in the past"),
        "unknown time zone": ({"timezone": "Mars/Olympus"}, "is not a time zone"),
        "number that cannot get texts": ({"phone": UK_LANDLINE}, "a landline: it cannot get texts"),
    }


def _fields(overrides: dict) -> dict:
    return {"phone": GOOD_PHONE, "timezone": "America/New_York", "scan_at": "", **overrides}


def _by_cli(runner, fields: dict) -> str:  # noqa: ANN001
    args = ["patients", "enroll", fields["phone"], "--timezone", fields["timezone"]]
    if fields["scan_at"]:
        args += ["--scan", fields["scan_at"]]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    return result.output


def _by_console(client: FlaskClient, fields: dict) -> str:
    form = {**fields, "display_name": "R.T.", "language": "en", "scan_kind": "CT"}
    form["scan_at"] = fields["scan_at"].replace(" ", "T")
    # A zone outside the common list is typed in the "other" box.
    form.update(timezone="other", timezone_other=fields["timezone"])
    return page_text(client.post("/staff/patients/new", data=form))


def _by_csv(client: FlaskClient, fields: dict) -> str:
    row = f"{fields['phone']},{fields['timezone']},{fields['scan_at']}"
    data = io.BytesIO(f"phone,timezone,scan_at\n{row}\n".encode())
    return page_text(client.post("/staff/import", data={"file": (data, "patients.csv")}))


def _nothing_written_or_sent(app: Flask) -> None:
    with app.app_context():
        counts = [
            db.session.scalar(select(func.count(model.id)))
            for model in (Patient, Scan, Message, ConsentEvent)
        ]
    assert counts == [0, 0, 0, 0]
    assert app.extensions["nextsteps.transport"].sent == []


@pytest.mark.parametrize("door", ["cli", "console", "csv"])
@pytest.mark.parametrize(
    "case", ["scan in the past", "unknown time zone", "number that cannot get texts"]
)
def test_every_door_refuses_bad_input_with_the_same_reason_and_writes_nothing(
    app: Flask,
    staff_client: FlaskClient,
    runner,
    now: datetime,
    door: str,
    case: str,  # noqa: ANN001
) -> None:
    overrides, reason = _bad_inputs(now)[case]
    fields = _fields(overrides)
    if door == "cli":
        output = _by_cli(runner, fields)
    elif door == "console":
        output = _by_console(staff_client, fields)
    else:
        output = _by_csv(staff_client, fields)
    assert reason in output
    _nothing_written_or_sent(app)


def test_a_malformed_csv_row_is_named_with_its_reason_and_writes_nothing(
    app: Flask, staff_client: FlaskClient
) -> None:
    data = io.BytesIO(b"phone,timezone,scan_at\n614-555-0142,America/Chicago,2027-02-30 09:00\n")
    page = page_text(staff_client.post("/staff/import", data={"file": (data, "p.csv")}))
    assert "not imported" in page and "is not a date and time" in page
    _nothing_written_or_sent(app)


def test_moving_a_scan_into_the_past_is_refused_by_the_domain(app: Flask, now: datetime) -> None:
    from bot.reminders.scans import ScanError, add_scan, move_scan
    from tests.reminder_helpers import make_patient

    with app.app_context():
        scan = add_scan(make_patient(), now + timedelta(days=9))
        with pytest.raises(ScanError, match="in the past"):
            move_scan(scan, now - timedelta(days=1))


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("/staff/patients/new", {"phone": "+1614555\x000142", "timezone": "America/New_York"}),
        ("/staff/simulator", {"phone": "+16145550142", "body": "hola\x00"}),
        ("/staff/patients?q=al\x00ma", None),
    ],
)
def test_a_nul_byte_anywhere_is_a_clear_400_and_writes_nothing(
    app: Flask, staff_client: FlaskClient, path: str, form: dict | None
) -> None:
    resp = staff_client.post(path, data=form) if form else staff_client.get(path)
    assert resp.status_code == 400
    assert "That request could not be used" in page_text(resp)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Patient)) == 0
        assert db.session.scalar(select(func.count()).select_from(Message)) == 0
