"""The patient list and one patient's page, and what staff do there."""

from __future__ import annotations

import re
from datetime import timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from bot.extensions import db
from bot.models import (
    ACTIVE,
    INBOUND,
    OUTBOUND,
    AuditEntry,
    ConsentEvent,
    Message,
    Patient,
    Reminder,
    Scan,
    utcnow,
)
from bot.staff import intake
from tests.conftest import Phone

from .helpers import Clinic, in_future


def _add_patient(app: Flask, phone: str, name: str, status: str = "pending", scan_days=None):  # noqa: ANN001, ANN201
    with app.app_context():
        p = Patient(phone=phone, display_name=name, status=status, timezone="America/Chicago")
        db.session.add(p)
        db.session.flush()
        if scan_days is not None:
            when = utcnow() + timedelta(days=scan_days)
            db.session.add(Scan(patient_id=p.id, scheduled_at=when, kind="CT"))
        db.session.commit()
        return p.id


def _names(page: str, candidates: list[str]) -> set[str]:
    return {n for n in candidates if n in page}


def test_search_by_name_or_last_four_and_filter(app: Flask, staff_client: FlaskClient) -> None:
    _add_patient(app, "+16145550111", "Alma Pending")
    _add_patient(app, "+16145550222", "Bert Active", ACTIVE, scan_days=10)
    _add_patient(app, "+16145550333", "Cora Active", ACTIVE, scan_days=-10)
    _add_patient(app, "+16145550444", "Dov Stopped", "stopped")
    every = ["Alma Pending", "Bert Active", "Cora Active", "Dov Stopped"]

    def shown(**query: str) -> set[str]:
        return _names(
            staff_client.get("/staff/patients", query_string=query).get_data(as_text=True), every
        )

    assert shown() == set(every)
    assert shown(q="bert") == {"Bert Active"}
    assert shown(q="0333") == {"Cora Active"}
    assert shown(q="555-0444") == {"Dov Stopped"}
    assert shown(status="active") == {"Bert Active", "Cora Active"}
    assert shown(status="stopped") == {"Dov Stopped"}
    assert shown(upcoming="1") == {"Bert Active"}  # Cora's scan is past
    assert shown(q="%") == set()  # a wildcard is a character, not "everything"


def test_list_is_paginated(app: Flask, staff_client: FlaskClient) -> None:
    for i in range(30):
        _add_patient(app, f"+1614555{1000 + i:04d}", f"Patient{i:02d}x")
    first = staff_client.get("/staff/patients").get_data(as_text=True)
    second = staff_client.get("/staff/patients?page=2").get_data(as_text=True)
    names = [f"Patient{i:02d}x" for i in range(30)]
    on_first, on_second = _names(first, names), _names(second, names)
    assert len(on_first) == 25 and len(on_second) == 5
    assert not on_first & on_second
    assert "Page 1 of 2" in first


def test_patient_page_shows_thread_oldest_first_in_the_clinics_zone(
    app: Flask, staff_client: FlaskClient, client: FlaskClient, clinic: Clinic
) -> None:
    phone = Phone(client, clinic.phone)
    phone.text("yes")
    phone.text("what is pseudoprogression")
    page = staff_client.get(f"/staff/patients/{clinic.patient_id}").get_data(as_text=True)
    thread = page[page.index('id="messages"') : page.index('id="consent"')]
    order = [thread.index(t) for t in ("Reply YES to join", ">yes<", "pseudoprogression")]
    assert order == sorted(order)
    # The patient is in Chicago; staff read every time in the clinic's zone, labelled.
    assert " EST" in thread or " EDT" in thread
    assert " CST" not in thread and " CDT" not in thread
    assert "Times in America/New_York (the clinic's zone)" in page
    assert "opt_in_requested" in page and ">opt_in<" in page


def test_reminders_show_status_and_delivery(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    # Not tied to the scan (offsets 30 and 29), so whatever the planner itself planned
    # for this patient can sit beside them.
    with app.app_context():
        due = utcnow() + timedelta(days=14)
        sent = Reminder(patient_id=clinic.patient_id, offset_days=30, due_at=due, status="sent")
        planned = Reminder(
            patient_id=clinic.patient_id,
            offset_days=29,
            due_at=due + timedelta(days=1),
            status="planned",
        )
        db.session.add_all([sent, planned])
        db.session.flush()
        db.session.add(
            Message(
                direction=OUTBOUND,
                phone=clinic.phone,
                patient_id=clinic.patient_id,
                body="reminder",
                status="undelivered",
                error_code=30003,
                reminder_id=sent.id,
            )
        )
        db.session.commit()
    page = staff_client.get(f"/staff/patients/{clinic.patient_id}").get_data(as_text=True)
    section = page[page.index('id="reminders"') : page.index('id="messages"')]
    rows = {
        days: (status, delivery)
        for status, days, delivery in re.findall(
            r'<tr class="reminder (\w+)">.*?"Days before">(\d+)<.*?"Delivery">(.*?)</td>',
            section,
            re.S,
        )
    }
    assert rows["30"] == ("sent", "undelivered (error 30003)")
    assert rows["29"] == ("planned", "—")


def _seed_planned_reminder(app: Flask, clinic: Clinic) -> None:
    """An active patient with (at least) one reminder still to go out.

    Not tied to the scan, so it never collides with what the real planner plans for it.
    """
    with app.app_context():
        db.session.add(
            Reminder(
                patient_id=clinic.patient_id,
                scan_id=None,
                offset_days=7,
                due_at=utcnow() + timedelta(days=14),
                status="planned",
            )
        )
        db.session.get(Patient, clinic.patient_id).status = ACTIVE
        db.session.commit()


def _reminder_statuses(app: Flask) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Reminder.status)))


def _status(app: Flask, clinic: Clinic) -> str | None:
    with app.app_context():
        return db.session.scalar(select(Patient.status).filter_by(id=clinic.patient_id))


def test_pause_cancels_planned_reminders_and_resume_reactivates(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    _seed_planned_reminder(app, clinic)
    resp = staff_client.post(f"/staff/patients/{clinic.patient_id}/pause", follow_redirects=True)
    assert "Paused" in resp.get_data(as_text=True)
    assert _status(app, clinic) == "paused"
    assert set(_reminder_statuses(app)) == {"cancelled"}
    staff_client.post(f"/staff/patients/{clinic.patient_id}/resume")
    assert _status(app, clinic) == "active"


def test_a_pending_patient_cannot_be_paused(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    resp = staff_client.post(f"/staff/patients/{clinic.patient_id}/pause", follow_redirects=True)
    assert "only an active patient can be paused" in resp.get_data(as_text=True)
    assert _status(app, clinic) == "pending"


def _active_with_scan_reminders(app: Flask, clinic: Clinic) -> None:
    """The clinic's patient, active: its scan (3 weeks away) has its reminders planned."""
    from bot.reminders.planner import replan

    with app.app_context():
        patient = db.session.get(Patient, clinic.patient_id)
        patient.status = ACTIVE
        replan(patient)
        db.session.commit()


def _last_consent(app: Flask) -> tuple[str, str, str]:
    with app.app_context():
        last = db.session.scalars(select(ConsentEvent).order_by(ConsentEvent.id.desc())).first()
        return last.event, last.source, last.detail


def _audit(app: Flask) -> list[tuple[str, str]]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))
        return [(r.action, r.detail) for r in rows if r.action.startswith("patient.unenroll")]


def test_unenroll_asks_first(app: Flask, staff_client: FlaskClient, clinic: Clinic) -> None:
    """The patient page links to a confirm page; a bare POST (the old one click) asks too."""
    base = f"/staff/patients/{clinic.patient_id}"
    page = staff_client.get(base).get_data(as_text=True)
    assert f'href="{base}/unenroll"' in page
    bare = staff_client.post(f"{base}/unenroll")
    assert bare.status_code == 302 and bare.location.endswith(f"{base}/unenroll")
    assert _status(app, clinic) == "pending"
    confirm = staff_client.get(f"{base}/unenroll").get_data(as_text=True)
    assert 'name="csrf_token"' in confirm and 'name="confirmed" value="y"' in confirm
    assert "not as the patient opting out" in confirm


def test_unenroll_is_the_staffs_act_not_a_stop(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    _active_with_scan_reminders(app, clinic)
    base = f"/staff/patients/{clinic.patient_id}"
    staff_client.post(f"{base}/unenroll", data={"confirmed": "y"})
    assert _status(app, clinic) == "stopped"
    assert set(_reminder_statuses(app)) == {"cancelled"}
    assert _last_consent(app) == (
        "unenrolled_by_staff", "staff", "nurse@clinic.example; was active"
    )  # fmt: skip
    assert _audit(app) == [("patient.unenroll", "by staff; was active")]
    page = staff_client.get(base).get_data(as_text=True)
    assert "unenrolled by staff" in page and "opt_out" not in page
    assert "Undo unenroll (back to active, no text sent)" in page


def test_undo_unenroll_restores_status_and_reminders_and_texts_nothing(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    _active_with_scan_reminders(app, clinic)
    sent = app.extensions["nextsteps.transport"].sent
    texts_before = len(sent)
    base = f"/staff/patients/{clinic.patient_id}"
    staff_client.post(f"{base}/unenroll", data={"confirmed": "y"})
    resp = staff_client.post(f"{base}/unenroll/undo", follow_redirects=True)
    assert "the patient is active again; no text was sent" in resp.get_data(as_text=True)
    assert _status(app, clinic) == "active"
    assert sorted(_reminder_statuses(app)) == ["planned", "planned"]
    with app.app_context():
        (scan,) = db.session.scalars(select(Scan).filter_by(patient_id=clinic.patient_id))
        assert scan.status == "scheduled"
        assert db.session.get(Patient, clinic.patient_id).unenrolled_from is None
    assert len(sent) == texts_before
    assert _last_consent(app)[:2] == ("unenroll_undone_by_staff", "staff")
    assert [a for a, _ in _audit(app)] == ["patient.unenroll", "patient.unenroll_undo"]


def test_undo_unenroll_keeps_a_pending_patient_pending(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    base = f"/staff/patients/{clinic.patient_id}"
    staff_client.post(f"{base}/unenroll", data={"confirmed": "y"})
    staff_client.post(f"{base}/unenroll/undo")
    assert _status(app, clinic) == "pending"


def test_no_undo_once_the_patient_texted_stop(
    app: Flask, staff_client: FlaskClient, client: FlaskClient, clinic: Clinic
) -> None:
    _active_with_scan_reminders(app, clinic)
    base = f"/staff/patients/{clinic.patient_id}"
    staff_client.post(f"{base}/unenroll", data={"confirmed": "y"})
    Phone(client, clinic.phone).text("STOP")
    assert _last_consent(app)[:2] == ("opt_out", "sms")
    page = staff_client.get(base).get_data(as_text=True)
    assert "Undo unenroll" not in page
    resp = staff_client.post(f"{base}/unenroll/undo", follow_redirects=True)
    assert "only a patient unenrolled by staff" in resp.get_data(as_text=True)
    assert _status(app, clinic) == "stopped"


def test_a_stopped_patient_cannot_be_unenrolled(
    app: Flask, staff_client: FlaskClient, client: FlaskClient, clinic: Clinic
) -> None:
    _active_with_scan_reminders(app, clinic)
    Phone(client, clinic.phone).text("STOP")
    base = f"/staff/patients/{clinic.patient_id}"
    resp = staff_client.post(f"{base}/unenroll", data={"confirmed": "y"}, follow_redirects=True)
    assert "already opted out (STOP)" in resp.get_data(as_text=True)


def test_scan_add_move_cancel(app: Flask, staff_client: FlaskClient, clinic: Clinic) -> None:
    base = f"/staff/patients/{clinic.patient_id}/scans"
    past = staff_client.post(
        base,
        data={"add-scan_at": in_future(-1).strftime("%Y-%m-%dT%H:%M"), "add-kind": "CT"},
        follow_redirects=True,
    )
    assert "Scan not added: the scan time is in the past" in past.get_data(as_text=True)
    moved_back = staff_client.post(
        f"{base}/{clinic.scan_id}/move",
        data={"scan_at": in_future(-1).strftime("%Y-%m-%dT%H:%M")},
        follow_redirects=True,
    )
    assert "Scan not moved" in moved_back.get_data(as_text=True)
    other = _add_patient(app, "+16145550999", "Other", scan_days=5)
    with app.app_context():
        other_scan = db.session.scalar(select(Scan.id).filter_by(patient_id=other))
    # A scan id from another patient's record is not found under this one.
    assert staff_client.post(f"{base}/{other_scan}/cancel").status_code == 404
    with app.app_context():
        assert db.session.get(Scan, other_scan).status == "scheduled"


def test_erase_deletes_the_record_but_keeps_the_consent_trail(
    app: Flask, staff_client: FlaskClient, client: FlaskClient, clinic: Clinic
) -> None:
    phone = Phone(client, clinic.phone)
    phone.text("yes")
    _seed_planned_reminder(app, clinic)
    phone.text("please stop texting me")
    with app.app_context():  # a text from the number before it was linked to the patient
        db.session.add(Message(direction=INBOUND, phone=clinic.phone, body="hi", status="received"))
        db.session.commit()

    refused = staff_client.post(
        f"/staff/patients/{clinic.patient_id}/erase",
        data={"confirm": "erase"},
        follow_redirects=True,
    )
    assert "Not erased" in refused.get_data(as_text=True) and _status(app, clinic) == "stopped"

    resp = staff_client.post(
        f"/staff/patients/{clinic.patient_id}/erase",
        data={"confirm": "ERASE"},
        follow_redirects=True,
    )
    assert f"Patient #{clinic.patient_id} erased" in resp.get_data(as_text=True)
    assert staff_client.get(f"/staff/patients/{clinic.patient_id}").status_code == 404
    with app.app_context():
        counts = [
            db.session.scalar(select(func.count(m.id))) for m in (Patient, Message, Scan, Reminder)
        ]
        assert counts == [0, 0, 0, 0]
        events = db.session.execute(
            select(
                ConsentEvent.phone,
                ConsentEvent.patient_id,
                ConsentEvent.event,
                ConsentEvent.source,
                ConsentEvent.detail,
            ).order_by(ConsentEvent.id)
        ).all()
        assert [tuple(e) for e in events] == [
            (clinic.phone, None, "opt_in_requested", "staff", "admin@clinic.example"),
            (clinic.phone, None, "opt_in", "sms", ""),
            (clinic.phone, None, "opt_out", "sms", ""),  # their words are gone
        ]
        erase_row = db.session.scalars(select(AuditEntry).filter_by(action="patient.erase")).one()
        assert (erase_row.target, erase_row.detail) == (f"patient:{clinic.patient_id}", "")
        everything = " ".join(
            " ".join((a.actor, a.action, a.target, a.detail))
            for a in db.session.scalars(select(AuditEntry))
        )
    assert clinic.phone[-7:] not in everything and clinic.name not in everything

    # The number opted out before it was erased: it can't be invited again.
    again = staff_client.post(
        "/staff/patients/new",
        data={
            "phone": clinic.phone,
            "timezone": "America/Chicago",
            "language": "en",
            "scan_kind": "CT",
        },
    )
    assert "opted out (STOP) before its record was erased" in again.get_data(as_text=True)


def test_an_erased_number_that_never_opted_out_can_be_enrolled_again(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    staff_client.post(f"/staff/patients/{clinic.patient_id}/erase", data={"confirm": "ERASE"})
    with app.app_context():
        again = intake.apply(intake.Intake(phone=clinic.phone), actor="t", source="staff")
        db.session.commit()
        assert again.created and again.invited


def test_open_flags_show_on_the_patient_page_and_in_the_list(
    app: Flask, staff_client: FlaskClient, clinic: Clinic
) -> None:
    """The clinic's patient has an unhandled urgent text; once handled, it is gone."""
    page = staff_client.get(f"/staff/patients/{clinic.patient_id}").get_data(as_text=True)
    box = page[page.index('id="open-flags"') : page.index('id="scans"')]
    assert "Open flags (1)" in box and 'class="flag urgent"' in box and "breathe" in box
    row = _list_row(staff_client, clinic.name)
    assert 'class="flag urgent"' in row
    staff_client.post(f"/staff/inbox/{clinic.message_id}/handle", data={"note": "called"})
    page = staff_client.get(f"/staff/patients/{clinic.patient_id}").get_data(as_text=True)
    assert 'id="open-flags"' not in page
    assert 'class="flag' not in _list_row(staff_client, clinic.name)


def _list_row(staff_client: FlaskClient, name: str) -> str:
    listing = staff_client.get("/staff/patients").get_data(as_text=True)
    start = listing.index(name)
    return listing[start : listing.index("</tr>", start)]
