"""Bulk enroll from a CSV file, with a report line for every row.

Every row is validated before anything is sent. Then each valid row is applied on its own
(enroll, rhythm, scan and audit commit together or not at all), through the same
`intake.apply()` as the enroll form; a row that fails is listed with its reason and
changes nothing. Importing the same file again changes nothing: enroll() never duplicates
a patient or re-sends the opt-in text, and a scan already booked is not booked again.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime

from flask import current_app, render_template, request
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from bot.extensions import db
from bot.logs import log_event
from bot.patients.enroll import describe_invitation, send_invitation
from bot.staff import audit, bp, intake
from bot.staff.forms import ImportForm

# A typical row ("614-555-0123,J.D.,America/New_York,en,no,2026-03-14 09:30,CT").
BYTES_PER_ROW = 64
COLUMNS = ("phone", "name", "timezone", "language", "discreet", "scan_at", "scan_kind")
SCAN_AT_FORMATS = (
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%m/%d/%Y %I:%M %p",
)
_YES = {"1", "y", "yes", "true", "x"}
_NO = {"", "0", "n", "no", "false"}


class CsvError(ValueError):
    """The file as a whole can't be read; the message is shown to staff."""


@dataclass
class RowResult:
    row: int  # the spreadsheet row: the header is row 1
    ok: bool
    message: str
    patient_id: int | None = None


# (row number, the checked intake or why the row is invalid)
Parsed = tuple[int, "intake.Intake | str"]


def parse(data: bytes) -> list[Parsed]:
    """Each data row as an Intake, or the reason it is invalid. Raises CsvError."""
    try:
        text = data.decode("utf-8-sig")  # Excel writes a BOM
    except UnicodeDecodeError:
        raise CsvError("the file is not UTF-8 text (save it as CSV UTF-8)") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in reader.fieldnames or []]
    if "phone" not in header:
        raise CsvError(f"the first row must name the columns: {', '.join(COLUMNS)}")
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise CsvError(f"unknown column(s): {', '.join(unknown)} (expected {', '.join(COLUMNS)})")
    reader.fieldnames = header
    rows: list[Parsed] = []
    max_rows = current_app.config["STAFF_IMPORT_MAX_ROWS"]
    for record in reader:
        if len(rows) >= max_rows:
            raise CsvError(f"at most {max_rows} rows per file: split it and import each part")
        row = reader.line_num  # as a spreadsheet numbers it (blank lines count)
        if None in record:
            rows.append((row, "more cells than columns"))
            continue
        if not any((v or "").strip() for v in record.values()):
            continue  # a spreadsheet's trailing ",,,,," rows
        try:
            rows.append((row, intake.check(_intake(record))))
        except ValueError as exc:  # intake.INPUT_ERRORS are ValueErrors too
            rows.append((row, str(exc)))
    return _mark_repeats(rows)


def _intake(record: dict[str, str | None]) -> intake.Intake:
    cell = {k: (v or "").strip() for k, v in record.items()}
    discreet = cell.get("discreet", "").lower()
    if discreet not in _YES | _NO:
        raise ValueError(f"discreet must be yes or no, got {cell['discreet']!r}")
    scan_at = _scan_at(cell.get("scan_at", ""))
    if scan_at is None and cell.get("scan_kind"):
        raise ValueError("scan_kind is set but scan_at is empty")
    return intake.Intake(
        phone=cell["phone"],
        display_name=cell.get("name", ""),
        timezone=cell.get("timezone", ""),
        language=cell.get("language", "").lower() or None,
        discreet=discreet in _YES,
        scan_at=scan_at,
        scan_kind=cell.get("scan_kind", "") or "CT",
    )


def _scan_at(raw: str) -> datetime | None:
    if not raw:
        return None
    for fmt in SCAN_AT_FORMATS:
        try:
            return datetime.strptime(raw, fmt)
        except ValueError:
            continue
    raise ValueError(f"scan_at {raw!r} is not a date and time like 2026-03-14 09:30")


def _mark_repeats(rows: list[Parsed]) -> list[Parsed]:
    """A number twice in one file is a mistake to fix, not two enrollments."""
    first: dict[str, int] = {}
    out = []
    for row, item in rows:
        if isinstance(item, intake.Intake):
            if item.phone in first:
                item = f"same phone number as row {first[item.phone]}"
            else:
                first[item.phone] = row
        out.append((row, item))
    return out


def run_import(data: bytes, actor: str) -> list[RowResult]:
    """Validate every row, then apply each valid one in its own transaction."""
    results = []
    for row, item in parse(data):
        if isinstance(item, str):
            results.append(RowResult(row, False, item))
            continue
        try:
            done = intake.apply(item, actor=actor, source="import")
            db.session.commit()
        except intake.INPUT_ERRORS as exc:
            db.session.rollback()
            results.append(RowResult(row, False, str(exc)))
            continue
        status = send_invitation(done.invitation)  # after the commit; a refusal is retried
        results.append(RowResult(row, True, _describe(done, status), done.patient.id))
    return results


def _describe(done: intake.Applied, status: str | None) -> str:
    if done.invited:
        parts = [f"enrolled, {describe_invitation(status)}"]
    else:
        parts = ["already enrolled (details updated), no new text"]
    if done.scan_added:
        parts.append("scan added")
    return "; ".join(parts)


@bp.route("/import", methods=["GET", "POST"])
def import_csv() -> str | Response:
    form = ImportForm()
    results: list[RowResult] | None = None
    error = None
    if form.validate_on_submit():
        try:
            results = run_import(form.file.data.read(), current_user.email)
        except CsvError as exc:
            error = str(exc)
        rows = results or []
        applied = sum(r.ok for r in rows)
        summary = f"rows={len(rows)} applied={applied} invalid={len(rows) - applied}"
        audit.record("import.csv", detail="file refused" if error else summary)
        db.session.commit()
    return render_template(
        "staff/import.html", form=form, results=results, error=error, columns=COLUMNS
    )


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> tuple[str, int]:
    """A page that says what to do, not the server's bare 413 (MAX_CONTENT_LENGTH)."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    log_event("staff.upload_too_large", path=request.path, limit=limit)
    page = render_template(
        "staff/too_large.html",
        limit_kib=limit // 1024,
        rows=limit // BYTES_PER_ROW,
        max_rows=current_app.config["STAFF_IMPORT_MAX_ROWS"],
    )
    return page, 413
