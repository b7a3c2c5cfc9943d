"""Check-ins in the console: switch a patient's weekly check-in on or off, and what the
patient page (timeline, symptom charts, C/R answers) and the inbox (the answers behind a
flag) show. Templates: staff/_checkins.html, staff/_checkin_flag.html."""

from __future__ import annotations

from dataclasses import dataclass

from flask import abort, flash, redirect, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from bot.checkins import chart, history
from bot.checkins.grading import SCALE_MAX
from bot.checkins.schedule import WEEKDAYS, CheckinError, set_schedule
from bot.extensions import db
from bot.models import Checkin, CheckinAnswer, CheckinSchedule, Message, Patient, ScanReply, utcnow
from bot.reminders.answers import replies_of
from bot.staff import audit, bp
from bot.staff.forms import CheckinForm

COUNT_CHART_MAX = 8  # the stools chart shows at least 0-8, past the grade-3 line at 7


@dataclass(frozen=True)
class Panel:
    schedule: CheckinSchedule | None
    form: CheckinForm
    timeline: list[Checkin]
    charts: list[chart.Chart]
    labels: dict[str, str]  # question id -> what staff read
    scan_replies: list[ScanReply]


def _charts(patient_id: int) -> list[chart.Chart]:
    series = history.series(patient_id)
    out = []
    for q in history.questions().questions:
        if q.id not in series:
            continue
        points = [(p.at, p.value, p.grade) for p in series[q.id]]
        if q.kind == "count":
            grade2 = next(at for at, g in q.thresholds if g == 2)
            out.append(chart.build(q.id, q.label, points, COUNT_CHART_MAX, grade2))
        else:
            out.append(chart.build(q.id, q.label, points, SCALE_MAX, 2))
    return out


def panel(patient: Patient) -> Panel:
    """What the patient page's check-in section shows."""
    schedule = history.schedule_of(patient.id)
    form = CheckinForm(prefix="checkin")
    if schedule is not None:
        form.enabled.data = schedule.enabled
        form.day.data = WEEKDAYS[schedule.weekday]
        form.time.data = schedule.local_time
    labels = {q.id: q.label for q in history.questions().questions}
    return Panel(
        schedule,
        form,
        history.timeline(patient.id),
        _charts(patient.id),
        labels,
        replies_of(patient.id),
    )


@dataclass(frozen=True)
class FlagDetail:
    checkin: Checkin | None
    raised_by: CheckinAnswer | None
    scan_reply: ScanReply | None
    labels: dict[str, str]


def flag_detail(message: Message) -> FlagDetail | None:
    """For an inbox item: the check-in answers that raised it, or the scan an R was about."""
    answer = db.session.scalars(
        select(CheckinAnswer).where(CheckinAnswer.message_id == message.id).limit(1)
    ).first()
    reply = db.session.scalars(
        select(ScanReply).where(ScanReply.message_id == message.id).limit(1)
    ).first()
    if answer is None and reply is None:
        return None
    labels = {q.id: q.label for q in history.questions().questions}
    return FlagDetail(answer.checkin if answer else None, answer, reply, labels)


@bp.context_processor
def checkin_helpers() -> dict:
    return {"checkin_panel": panel, "checkin_flag_detail": flag_detail, "weekdays": WEEKDAYS}


@bp.post("/patients/<int:patient_id>/checkins")
def checkins_set(patient_id: int) -> Response:
    patient = db.session.get(Patient, patient_id)
    if patient is None:
        abort(404)
    form = CheckinForm(prefix="checkin")
    back = redirect(url_for("staff.patient", patient_id=patient.id) + "#checkins")
    if not form.validate():
        flash("Check-in not changed: choose a day and a time.", "error")
        return back
    on = bool(form.enabled.data)
    weekday = WEEKDAYS.index(form.day.data)
    try:
        set_schedule(patient, on, weekday, form.time.data, utcnow())
    except CheckinError as exc:
        db.session.rollback()
        flash(f"Check-in not changed: {exc}", "error")
        return back
    detail = f"{form.day.data} {form.time.data}" if on else ""
    audit.record(f"checkins.{'on' if on else 'off'}", audit.patient_target(patient.id), detail)
    db.session.commit()
    flash("Weekly check-in on." if on else "Weekly check-in off.")
    return back
