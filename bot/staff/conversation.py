"""Staff write to a patient: the send form's endpoint (patient page and inbox), with its
checks and the confirmation page for warnings. Domain: bot.conversation.staff_texts."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from bot.conversation import staff_texts
from bot.extensions import db
from bot.models import Patient, utcnow
from bot.sms import segments
from bot.staff import audit, bp
from bot.staff.forms import StaffTextForm

_SENT = {
    staff_texts.StaffTextState.RETRYING: "Twilio could not take the text just now: it will be"
    " sent again automatically. Its status shows in the thread.",
    staff_texts.StaffTextState.UNKNOWN: "No clear answer from Twilio: the text will be checked"
    " and sent again if needed. Its status shows in the thread.",
    staff_texts.StaffTextState.FAILED: "The text could not be sent (see its status in the"
    " thread). Call the patient.",
}


def _back(patient_id: int, back: str | None) -> Response:
    if back == "inbox":
        return redirect(url_for("staff.inbox"))
    return redirect(url_for("staff.patient", patient_id=patient_id, _anchor="messages"))


@bp.post("/patients/<int:patient_id>/texts")
def send_text(patient_id: int) -> Response | str:
    form = StaffTextForm()
    patient = db.session.get(Patient, patient_id)
    back = form.back.data
    if not form.validate():
        flash("Not sent: write the text first (at most 1,600 characters).", "error")
        return _back(patient_id, back) if patient else redirect(url_for("staff.inbox"))
    body = form.body.data.replace("\r\n", "\n").strip()
    now, config = utcnow(), current_app.config
    verdict = staff_texts.check(patient, body, now, config)
    if verdict.refusal:
        flash(verdict.refusal, "error")
        return _back(patient_id, back) if patient else redirect(url_for("staff.inbox"))
    if verdict.warnings and not form.confirmed.data:
        return render_template(
            "staff/text_confirm.html", p=patient, form=form, body=body, verdict=verdict, back=back
        )
    msg = staff_texts.queue(patient, body, current_user.email, now)
    db.session.flush()
    # Ids only: never the text itself.
    detail = f"message:{msg.id}" + (" confirmed" if verdict.warnings else "")
    audit.record("text.send", audit.patient_target(patient.id), detail)
    retry = timedelta(seconds=config["SEND_RETRY_BASE_SECONDS"])
    status = staff_texts.send(msg, now, retry, config)
    if status in _SENT:
        flash(_SENT[status], "error")
    else:
        flash("Sent. Delivery updates show in the thread.")
    return _back(patient_id, back)


@bp.app_template_global()
def composer_state(patient: Patient) -> staff_texts.Check:
    """Refusal or warnings shown with the send form before anything is typed."""
    return staff_texts.standing(patient, utcnow(), current_app.config)


@bp.app_template_global()
def sms_rules() -> dict:
    """The GSM-7 alphabet and segment sizes, from bot.sms.segments (the one home), for the
    page's live counter (static/composer.js)."""
    return {
        "basic": "".join(sorted(segments.GSM7_BASIC)),
        "extended": "".join(sorted(segments.GSM7_EXTENDED)),
        "limits": f"{segments.GSM7_SINGLE},{segments.GSM7_MULTI},"
        f"{segments.UCS2_SINGLE},{segments.UCS2_MULTI}",
        "max_segments": staff_texts.MAX_SEGMENTS,
    }
