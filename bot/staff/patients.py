"""Patient pages: the searchable list, enroll, one patient's record, and the actions on it."""

from __future__ import annotations

import re

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import exists, select
from werkzeug.wrappers import Response

from bot.extensions import db
from bot.models import (
    PATIENT_STATUSES,
    ConsentEvent,
    Message,
    Patient,
    Reminder,
    Scan,
    utcnow,
)
from bot.patients import lifecycle
from bot.patients.enroll import describe_invitation, send_invitation
from bot.queries import consent_of, is_upcoming, messages_of
from bot.reminders.scans import add_scan, cancel_scan, move_scan
from bot.staff import audit, bp, intake
from bot.staff.forms import OTHER_ZONE, EnrollForm, EraseForm, MoveScanForm, ScanForm
from bot.staff.inbox import open_flags_by_patient, open_flags_of

PAGE_SIZE = 25


def _upcoming_scan():  # noqa: ANN202
    return exists().where(Scan.patient_id == Patient.id, is_upcoming(utcnow()))


@bp.get("/")
def home() -> Response:
    return redirect(url_for("staff.patients"))


@bp.get("/patients")
def patients() -> str:
    q = request.args.get("q", "").strip()[:80]
    status = request.args.get("status", "")
    upcoming = request.args.get("upcoming") == "1"
    stmt = select(Patient)
    if q:
        digits = re.sub(r"[\s().-]", "", q)
        if digits.isdigit():
            stmt = stmt.where(Patient.phone.endswith(digits, autoescape=True))
        else:
            stmt = stmt.where(Patient.display_name.icontains(q, autoescape=True))
    if status in PATIENT_STATUSES:
        stmt = stmt.where(Patient.status == status)
    if upcoming:
        stmt = stmt.where(_upcoming_scan())
    page = db.paginate(
        stmt.order_by(Patient.created_at.desc(), Patient.id.desc()),
        per_page=PAGE_SIZE,
        error_out=False,
        max_per_page=PAGE_SIZE,
    )
    ids = [p.id for p in page.items]
    return render_template(
        "staff/patients.html",
        page=page,
        next_scans=_next_scans(ids),
        open_flags=open_flags_by_patient(ids),
        q=q,
        status=status,
        upcoming=upcoming,
        statuses=PATIENT_STATUSES,
    )


def _next_scans(patient_ids: list[int]) -> dict[int, Scan]:
    """Each listed patient's next scan (one page: at most PAGE_SIZE patients)."""
    if not patient_ids:
        return {}
    upcoming = db.session.scalars(
        select(Scan)
        .where(Scan.patient_id.in_(patient_ids), is_upcoming(utcnow()))
        .order_by(Scan.scheduled_at.desc())
    )
    return {scan.patient_id: scan for scan in upcoming}  # the earliest is written last


@bp.route("/patients/new", methods=["GET", "POST"])
def enroll() -> str | Response:
    form = EnrollForm()
    if request.method == "GET":
        default_tz = current_app.config["DEFAULT_TIMEZONE"]
        if default_tz in intake.COMMON_TIMEZONES:
            form.timezone.data = default_tz
        else:
            form.timezone.data, form.timezone_other.data = OTHER_ZONE, default_tz
    if form.validate_on_submit():
        wanted = intake.Intake(
            phone=form.phone.data,
            display_name=form.display_name.data or "",
            timezone=form.chosen_timezone(),
            language=form.language.data,
            discreet=form.discreet.data,
            scan_at=form.scan_at.data,
            scan_kind=form.scan_kind.data,
            treatment_start=form.treatment_start.data,
            rhythm_first_weeks=form.rhythm_first_weeks.data,
            rhythm_every_weeks=form.rhythm_every_weeks.data,
        )
        try:
            done = intake.apply(wanted, actor=current_user.email, source="staff")
            db.session.commit()
        except intake.INPUT_ERRORS as exc:
            db.session.rollback()
            flash(f"Not enrolled: {exc}", "error")
        else:
            status = send_invitation(done.invitation)  # committed first: a refusal is retried
            if done.invited:
                said = describe_invitation(status)
                flash(f"Enrolled; {said}. The patient is pending until they reply YES.")
            elif done.created:
                flash("Enrolled.")
            else:
                flash("Already enrolled: the record was updated (no second opt-in text).")
            return redirect(url_for("staff.patient", patient_id=done.patient.id))
    return render_template("staff/enroll.html", form=form)


def _get_patient(patient_id: int) -> Patient:
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        abort(404)
    return patient


@bp.get("/patients/<int:patient_id>")
def patient(patient_id: int) -> str:
    p = _get_patient(patient_id)
    # Reading a record is an access to PHI: logged like any other action. Committed
    # first, so what the page shows isn't expired by the commit.
    audit.record("patient.view", audit.patient_target(p.id))
    db.session.commit()
    mine = messages_of(p.id, p.phone)
    thread = db.session.scalars(
        select(Message).where(mine).order_by(Message.created_at, Message.id)
    ).all()
    consent = db.session.scalars(
        select(ConsentEvent)
        .where(consent_of(p.id, p.phone))
        .order_by(ConsentEvent.created_at, ConsentEvent.id)
    ).all()
    reminders = db.session.scalars(
        select(Reminder).where(Reminder.patient_id == p.id).order_by(Reminder.due_at)
    ).all()
    # The delivery status Twilio reported for each reminder's text (the latest attempt).
    delivery = {
        m.reminder_id: m
        for m in db.session.scalars(
            select(Message)
            .where(Message.reminder_id.in_([r.id for r in reminders]))
            .order_by(Message.id)
        )
    }
    return render_template(
        "staff/patient.html",
        p=p,
        thread=thread,
        consent=consent,
        scans=p.scans,
        reminders=reminders,
        delivery=delivery,
        open_flags=open_flags_of(thread),
        now=utcnow(),
        scan_form=ScanForm(prefix="add"),
        erase_form=EraseForm(),
    )


def _back(p_id: int) -> Response:
    return redirect(url_for("staff.patient", patient_id=p_id))


def _form_errors(form) -> str:  # noqa: ANN001
    return "; ".join(
        f"{form[name].label.text}: {' '.join(errs)}" for name, errs in form.errors.items()
    )


@bp.post("/patients/<int:patient_id>/scans")
def add_scan_view(patient_id: int) -> Response:
    p = _get_patient(patient_id)
    form = ScanForm(prefix="add")
    if not form.validate():
        flash(f"Scan not added: {_form_errors(form)}", "error")
        return _back(p.id)
    try:
        scan = add_scan(p, form.scan_at.data, form.kind.data)
        audit.record("scan.add", audit.patient_target(p.id), f"scan:{scan.id} {scan.kind}")
        db.session.commit()
    except intake.INPUT_ERRORS as exc:
        db.session.rollback()
        flash(f"Scan not added: {exc}", "error")
    else:
        flash("Scan added; reminders replanned.")
    return _back(p.id)


def _get_scan(p: Patient, scan_id: int) -> Scan:
    scan = db.session.get(Scan, scan_id)
    if scan is None or scan.patient_id != p.id:
        abort(404)
    return scan


@bp.post("/patients/<int:patient_id>/scans/<int:scan_id>/move")
def move_scan_view(patient_id: int, scan_id: int) -> Response:
    p = _get_patient(patient_id)
    scan = _get_scan(p, scan_id)
    form = MoveScanForm()
    if not form.validate():
        flash(f"Scan not moved: {_form_errors(form)}", "error")
        return _back(p.id)
    try:
        move_scan(scan, form.scan_at.data)
        audit.record("scan.move", audit.patient_target(p.id), f"scan:{scan.id}")
        db.session.commit()
    except intake.INPUT_ERRORS as exc:
        db.session.rollback()
        flash(f"Scan not moved: {exc}", "error")
    else:
        flash("Scan moved; reminders replanned.")
    return _back(p.id)


@bp.post("/patients/<int:patient_id>/scans/<int:scan_id>/cancel")
def cancel_scan_view(patient_id: int, scan_id: int) -> Response:
    p = _get_patient(patient_id)
    scan = _get_scan(p, scan_id)
    cancel_scan(scan)
    audit.record("scan.cancel", audit.patient_target(p.id), f"scan:{scan.id}")
    db.session.commit()
    flash("Scan cancelled; its reminders won't go out.")
    return _back(p.id)


def _status_change(patient_id: int, change, action: str, done: str) -> Response:  # noqa: ANN001
    p = _get_patient(patient_id)
    try:
        change(p)
        audit.record(action, audit.patient_target(p.id))
        db.session.commit()
    except lifecycle.LifecycleError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(done)
    return _back(p.id)


@bp.post("/patients/<int:patient_id>/pause")
def pause(patient_id: int) -> Response:
    done = "Paused: nothing more will be sent."
    return _status_change(patient_id, lifecycle.pause, "patient.pause", done)


@bp.post("/patients/<int:patient_id>/resume")
def resume(patient_id: int) -> Response:
    done = "Resumed: reminders replanned."
    return _status_change(patient_id, lifecycle.resume, "patient.resume", done)


@bp.get("/patients/<int:patient_id>/unenroll")
def unenroll_confirm(patient_id: int) -> str:
    """Unenroll asks first: one click on the patient page must not stop a patient's texts."""
    return render_template("staff/unenroll_confirm.html", p=_get_patient(patient_id))


@bp.post("/patients/<int:patient_id>/unenroll")
def unenroll(patient_id: int) -> Response:
    """Only the confirm page's POST (confirmed=y) unenrolls; any other POST asks first."""
    if request.form.get("confirmed") != "y":
        return redirect(url_for("staff.unenroll_confirm", patient_id=patient_id))
    p = _get_patient(patient_id)
    try:
        before = lifecycle.unenroll(p, current_user.email)
        audit.record("patient.unenroll", audit.patient_target(p.id), f"by staff; was {before}")
        db.session.commit()
    except lifecycle.LifecycleError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash("Unenrolled by staff: nothing more will be sent. You can undo this below.")
    return _back(p.id)


@bp.post("/patients/<int:patient_id>/unenroll/undo")
def undo_unenroll(patient_id: int) -> Response:
    p = _get_patient(patient_id)
    try:
        restored = lifecycle.undo_unenroll(p, current_user.email)
        audit.record("patient.unenroll_undo", audit.patient_target(p.id), f"back to {restored}")
        db.session.commit()
    except lifecycle.LifecycleError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        flash(f"Unenroll undone: the patient is {restored} again; no text was sent.")
    return _back(p.id)


@bp.post("/patients/<int:patient_id>/erase")
def erase(patient_id: int) -> Response:
    p = _get_patient(patient_id)
    form = EraseForm()
    if not form.validate():
        flash(f"Not erased: {_form_errors(form)}", "error")
        return _back(p.id)
    pid = lifecycle.erase(p)
    audit.record("patient.erase", audit.patient_target(pid))
    db.session.commit()
    flash(f"Patient #{pid} erased. Only the consent record (number, events, times) is kept.")
    return redirect(url_for("staff.patients"))
