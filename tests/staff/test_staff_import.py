"""CSV import: a line for every row, valid rows enrolled, importing twice changes nothing."""

from __future__ import annotations

import io
from datetime import UTC
from zoneinfo import ZoneInfo

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import ConsentEvent, Patient, Scan
from tests.conftest import Phone

from .helpers import in_future

SCAN = in_future(21, 9)
PAST = in_future(-3, 9)


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


GOOD_AND_BAD = _csv(
    "phone,name,timezone,language,discreet,scan_at,scan_kind",
    f"614-555-0101,A.A.,America/Chicago,en,no,{SCAN:%Y-%m-%d %H:%M},CT",  # row 2: ok
    "312-555-0102,B.B.,,,yes,,",  # row 3: ok, no scan
    "555-12,C.C.,,,,,",  # row 4: bad phone
    "614-555-0104,D.D.,Mars/Olympus,,,,",  # row 5: bad zone
    "614-555-0105,E.E.,,,maybe,,",  # row 6: bad discreet
    f"614-555-0106,F.F.,,,,{PAST:%Y-%m-%d %H:%M},CT",  # row 7: scan in the past
    f"614-555-0107,G.G.,,,,{SCAN:%Y-%m-%d %H:%M},MRI",  # row 8: bad kind
    "+1 614 555 0101,A.A. again,,,,,",  # row 9: same number as row 2
    "614-555-0109,H.H.,,,,next tuesday,",  # row 10: unreadable date
    "614-555-0110,I.I.,,fr,,,",  # row 11: language we don't have
    f"614-555-0111,J.J.,America/Denver,en,no,{SCAN:%m/%d/%Y %I:%M %p},pet",  # row 12: ok
)


def _upload(client: FlaskClient, data: bytes, name: str = "patients.csv") -> str:
    resp = client.post("/staff/import", data={"file": (io.BytesIO(data), name)})
    assert resp.status_code == 200
    return resp.get_data(as_text=True)


def _report(page: str) -> dict[int, str]:
    import re

    rows = re.findall(
        r'<td data-label="Row">(\d+)</td>\s*<td data-label="Result">(.*?)</td>', page, re.S
    )
    return {int(n): re.sub(r"<[^>]+>", "", text).strip() for n, text in rows}


def _state(app: Flask) -> tuple:
    with app.app_context():
        return (
            sorted(db.session.scalars(select(Patient.phone))),
            db.session.scalar(select(func.count(Scan.id))),
            db.session.scalar(select(func.count(ConsentEvent.id))),
            len(app.extensions["nextsteps.transport"].sent),
        )


def test_valid_rows_enrolled_invalid_rows_listed_with_reasons(
    app: Flask, staff_client: FlaskClient
) -> None:
    report = _report(_upload(staff_client, GOOD_AND_BAD))
    assert set(report) == set(range(2, 13))
    for ok in (2, 3, 12):
        assert report[ok].startswith("enrolled, opt-in text sent"), report[ok]
    assert "scan added" in report[2] and "scan added" in report[12]
    expected = {
        4: "is not a valid phone number",
        5: "is not a time zone",
        6: "discreet must be yes or no",
        7: "the scan time is in the past",
        8: "scan type must be one of CT, PET",
        9: "same phone number as row 2",
        10: "is not a date and time",
        11: "language must be one of en",
    }
    for row, reason in expected.items():
        assert report[row].startswith("not imported") and reason in report[row], (row, report[row])

    phones, scans, consents, texts = _state(app)
    assert phones == ["+13125550102", "+16145550101", "+16145550111"]
    assert (scans, consents, texts) == (2, 3, 3)
    with app.app_context():
        p = db.session.scalars(select(Patient).filter_by(phone="+16145550111")).one()
        scan = p.scans[0]
        expected_utc = SCAN.replace(tzinfo=ZoneInfo("America/Denver")).astimezone(UTC)
        assert (scan.kind, scan.scheduled_at) == ("PET", expected_utc.replace(tzinfo=None))
        discreet = db.session.scalars(
            select(Patient.discreet).filter_by(phone="+13125550102")
        ).one()
        assert discreet is True


def test_importing_the_same_file_twice_changes_nothing(
    app: Flask, staff_client: FlaskClient
) -> None:
    _upload(staff_client, GOOD_AND_BAD)
    before = _state(app)
    report = _report(_upload(staff_client, GOOD_AND_BAD))
    assert _state(app) == before  # no new patient, scan, consent event or text
    for ok in (2, 3, 12):
        assert report[ok].startswith("already enrolled"), report[ok]
        assert "scan added" not in report[ok]


def test_a_row_for_a_stopped_number_is_listed_and_changes_nothing(
    app: Flask, staff_client: FlaskClient, client: FlaskClient
) -> None:
    Phone(client, "+16145550101").text("STOP")
    before = _state(app)
    report = _report(
        _upload(staff_client, _csv("phone,scan_at", f"614-555-0101,{SCAN:%Y-%m-%d %H:%M}"))
    )
    assert "opted out" in report[2]
    assert _state(app) == before  # not even the scan: the row is all or nothing


def test_row_numbers_match_the_spreadsheet(app: Flask, staff_client: FlaskClient) -> None:
    # A BOM, CRLF line ends, a blank line and a row of empty cells, as spreadsheets write.
    data = "\ufeffPhone, Name\r\n614-555-0101,A\r\n\r\n555-12,B\r\n,\r\n".encode()
    report = _report(_upload(staff_client, data))
    assert set(report) == {2, 4}
    assert report[2].startswith("enrolled") and "not a valid phone number" in report[4]


def test_file_level_problems_are_explained(app: Flask, staff_client: FlaskClient) -> None:
    no_phone = _upload(staff_client, _csv("name,timezone", "A,America/Chicago"))
    assert "the first row must name the columns" in no_phone
    typo = _upload(staff_client, _csv("phone,tz", "614-555-0101,America/Chicago"))
    assert "unknown column(s): tz" in typo
    latin1 = _upload(staff_client, "phone,name\n614-555-0101,Jos\xe9\n".encode("latin-1"))
    assert "not UTF-8" in latin1
    assert _state(app)[0] == []


def test_too_many_rows_are_refused_whole(app: Flask, staff_client: FlaskClient) -> None:
    app.config["STAFF_IMPORT_MAX_ROWS"] = 2
    page = _upload(staff_client, _csv("phone", "614-555-0101", "614-555-0102", "614-555-0103"))
    assert "at most 2 rows per file" in page
    assert _state(app)[0] == []


def test_the_page_documents_the_columns(staff_client: FlaskClient) -> None:
    page = staff_client.get("/staff/import").get_data(as_text=True)
    for column in ("phone", "name", "timezone", "language", "discreet", "scan_at", "scan_kind"):
        assert f"<code>{column}</code>" in page


def test_a_file_over_the_size_limit_gets_a_page_that_says_what_to_do(
    app: Flask, staff_client: FlaskClient
) -> None:
    limit = app.config["MAX_CONTENT_LENGTH"]
    big = _csv("phone,name", *[f"+1614555{i % 10000:04d},Patient number {i}" for i in range(4000)])
    assert len(big) > limit
    resp = staff_client.post("/staff/import", data={"file": (io.BytesIO(big), "all.csv")})
    assert resp.status_code == 413
    page = resp.get_data(as_text=True)
    assert "That file is too large" in page and f"over {limit // 1024} KiB" in page
    assert "Nothing was imported and nobody was texted" in page
    assert 'href="/staff/import"' in page  # the way back, inside the console's layout
    assert _state(app) == ([], 0, 0, 0)
