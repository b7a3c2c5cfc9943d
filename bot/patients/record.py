"""A patient's own record, as they may ask for it: details, consent history, every text,
scans and reminders, in one JSON document or one CSV table (UTF-8 with a byte-order
mark, so Excel shows it right). Times are UTC and the patient's local time."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from datetime import datetime

from sqlalchemy import select

from bot.extensions import db
from bot.models import ConsentEvent, Message, Patient, Reminder, Scan
from bot.queries import consent_of, messages_of
from bot.timeutil import to_local, utcnow

CSV_COLUMNS = ("section", "id", "when_utc", "when_local", "what", "status", "detail", "text")
# A cell starting with one of these is a formula to a spreadsheet: a patient's text must
# never run as one (CSV injection), so it gets a leading apostrophe. Spreadsheets skip
# leading blanks (a space, NBSP) and read fullwidth signs as ASCII, so those are looked
# through (NFKC maps "\uff1d" to "=").
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[0-9]{6,15}")  # a phone number: a number to Excel, never a formula


def _when(at: datetime | None, tz: str) -> tuple[str, str]:
    if at is None:
        return "", ""
    return at.isoformat(timespec="seconds") + "Z", to_local(at, tz).isoformat(timespec="seconds")


def _rows(model, where, order) -> list:  # noqa: ANN001
    return list(db.session.scalars(select(model).where(where).order_by(order, model.id)))


def patient_record(patient: Patient, now: datetime | None = None) -> dict:
    """Everything we hold about the patient, as plain data."""

    def when(at: datetime | None) -> dict:
        utc, local = _when(at, patient.timezone)
        return {"utc": utc, "local": local}

    return {
        "exported_at": when(now or utcnow()),
        "patient": {
            "id": patient.id,
            "phone": patient.phone,
            "name": patient.display_name,
            "status": patient.status,
            "time_zone": patient.timezone,
            "language": patient.language,
            "discreet": patient.discreet,
            "enrolled": when(patient.created_at),
        },
        **_history(patient, when),
    }


def _history(patient: Patient, when) -> dict:  # noqa: ANN001
    """Consent events, texts, scans and reminders, oldest first."""
    consent = _rows(ConsentEvent, consent_of(patient.id, patient.phone), ConsentEvent.created_at)
    texts = _rows(Message, messages_of(patient.id, patient.phone), Message.created_at)
    scans = _rows(Scan, Scan.patient_id == patient.id, Scan.scheduled_at)
    reminders = _rows(Reminder, Reminder.patient_id == patient.id, Reminder.due_at)
    return {
        "consent": [
            {"when": when(c.created_at), "event": c.event, "source": c.source, "detail": c.detail}
            for c in consent
        ],
        "texts": [
            {
                "when": when(m.created_at),
                "direction": m.direction,
                "text": m.body,
                "topic": m.topic,
                "status": m.status,
            }
            for m in texts
        ],
        "scans": [
            {"when": when(s.scheduled_at), "kind": s.kind, "status": s.status} for s in scans
        ],
        "reminders": [
            {
                "when": when(r.due_at),
                "days_before": r.offset_days,
                "status": r.status,
                "text": r.body,
                "note": r.note or "",
            }
            for r in reminders
        ],
    }


def _csv_rows(record: dict) -> list[tuple]:
    p = record["patient"]
    rows = [
        ("patient", p["id"], p["enrolled"]["utc"], p["enrolled"]["local"], key, "", "", value)
        for key, value in (
            ("phone", p["phone"]),
            ("name", p["name"]),
            ("status", p["status"]),
            ("time_zone", p["time_zone"]),
            ("language", p["language"] or ""),
            ("discreet", "yes" if p["discreet"] else "no"),
        )
    ]
    sections = (
        ("consent", "event", "source", "detail", None),
        ("texts", "direction", "status", "topic", "text"),
        ("scans", "kind", "status", None, None),
        ("reminders", "days_before", "status", "note", "text"),
    )
    for section, what, status, detail, text in sections:
        for n, item in enumerate(record[section], 1):
            rows.append(
                (
                    section,
                    n,
                    item["when"]["utc"],
                    item["when"]["local"],
                    item[what],
                    item[status],
                    item.get(detail, "") if detail else "",
                    item.get(text, "") if text else "",
                )
            )
    return rows


def spreadsheet_cell(value: object) -> str:
    """`value` as a CSV cell no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    if _E164.fullmatch(text):
        return text
    seen = unicodedata.normalize("NFKC", text).lstrip(" \u00a0\u2007\u202f\u3000\ufeff")
    if seen.startswith(_FORMULA_START):
        return "'" + text
    return text


def record_csv(record: dict) -> str:
    """The record as one CSV table: a `section` column says what each row is."""
    out = io.StringIO()
    out.write("\ufeff")  # Excel reads UTF-8 only with a byte-order mark
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    writer.writerows([spreadsheet_cell(v) for v in row] for row in _csv_rows(record))
    return out.getvalue()
