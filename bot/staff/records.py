"""A patient's record from the patient page: download it (JSON or CSV) and edit the
details. Thin: the work is bot.patients.record and bot.patients.details; every download
and edit is audited (ids and field names only)."""

from __future__ import annotations

import json

from flask import Response, flash, redirect, render_template, url_for

from bot.extensions import db
from bot.models import Patient
from bot.patients.details import Details, update_details
from bot.patients.enroll import EnrollmentError
from bot.patients.record import patient_record, record_csv
from bot.staff import audit, bp
from bot.staff.forms import OTHER_ZONE, EditPatientForm
from bot.staff.intake import COMMON_TIMEZONES


def _download(patient_id: int, kind: str, body: str, mimetype: str) -> Response:
    audit.record("patient.export", audit.patient_target(patient_id), kind)
    db.session.commit()
    name = f"patient-{patient_id}-record.{kind}"
    return Response(
        body, mimetype=mimetype, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


@bp.get("/patients/<int:patient_id>/record.json")
def record_json(patient_id: int) -> Response:
    record = patient_record(db.get_or_404(Patient, patient_id))
    body = json.dumps(record, ensure_ascii=False, indent=2)
    return _download(patient_id, "json", body, "application/json")


@bp.get("/patients/<int:patient_id>/record.csv")
def record_csv_view(patient_id: int) -> Response:
    body = record_csv(patient_record(db.get_or_404(Patient, patient_id)))
    return _download(patient_id, "csv", body, "text/csv; charset=utf-8")


def _prefill(form: EditPatientForm, p) -> None:  # noqa: ANN001
    form.display_name.data = p.display_name
    if p.timezone in COMMON_TIMEZONES:
        form.timezone.data = p.timezone
    else:
        form.timezone.data, form.timezone_other.data = OTHER_ZONE, p.timezone
    form.language.data = p.language or ""
    form.discreet.data = p.discreet


@bp.route("/patients/<int:patient_id>/edit", methods=["GET", "POST"])
def edit_patient(patient_id: int) -> str | Response:
    p = db.get_or_404(Patient, patient_id)
    form = EditPatientForm()
    if not form.is_submitted():
        _prefill(form, p)
    elif form.validate():
        wanted = Details(
            display_name=form.display_name.data or "",
            timezone=form.chosen_timezone(),
            language=form.language.data or None,
            discreet=form.discreet.data,
        )
        try:
            changed = update_details(p, wanted)
        except EnrollmentError as exc:
            db.session.rollback()
            flash(f"Not saved: {exc}", "error")
        else:
            if changed:
                audit.record("patient.edit", audit.patient_target(p.id), ",".join(changed))
            db.session.commit()
            flash(_saved_message(changed))
            return redirect(url_for("staff.patient", patient_id=p.id))
    return render_template("staff/edit_patient.html", p=p, form=form)


def _saved_message(changed: list[str]) -> str:
    if not changed:
        return "Nothing changed."
    if "timezone" in changed:
        return "Saved. Reminders replanned for the new time zone."
    return "Saved."
