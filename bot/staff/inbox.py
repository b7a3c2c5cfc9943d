"""Flagged texts: the inbox staff work through, most serious and newest first."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select, update
from werkzeug.wrappers import Response

from bot.extensions import db
from bot.models import INBOUND, Message, Patient, utcnow
from bot.patients.status import Flag
from bot.staff import audit, bp
from bot.staff.forms import HandleForm

PAGE_SIZE = 50

_flagged = (Message.direction == INBOUND, Message.flag.is_not(None))
# Someone may be in danger: these go to the top whatever their age; a review (the models
# were unsure) comes right below them.
_severity = case(
    (Message.flag == Flag.SELF_HARM, 0),
    (Message.flag.in_((Flag.URGENT, Flag.CALL_OPTED_OUT)), 1),
    (Message.flag == Flag.REVIEW, 2),
    else_=3,
)


def unhandled_count() -> int:
    return db.session.scalar(
        select(func.count(Message.id)).where(*_flagged, Message.handled_at.is_(None))
    )


def open_flags_by_patient(patient_ids: list[int]) -> dict[int, dict[str, int]]:
    """Unhandled flags per patient and kind ({"urgent": 1, "unanswered": 2}), for the
    patient list: one grouped query for the page."""
    if not patient_ids:
        return {}
    rows = db.session.execute(
        select(Message.patient_id, Message.flag, func.count(Message.id))
        .where(*_flagged, Message.handled_at.is_(None), Message.patient_id.in_(patient_ids))
        .group_by(Message.patient_id, Message.flag)
    )
    found: dict[int, dict[str, int]] = {}
    for pid, flag, count in rows:
        found.setdefault(pid, {})[flag] = count
    return found


def open_flags_of(thread: list[Message]) -> list[Message]:
    """The patient's texts still waiting in the inbox, most serious first."""
    waiting = [m for m in thread if m.direction == INBOUND and m.flag and not m.handled_at]
    order = {Flag.SELF_HARM: 0, Flag.URGENT: 1, Flag.CALL_OPTED_OUT: 1, Flag.REVIEW: 2}
    return sorted(waiting, key=lambda m: (order.get(m.flag, 3), -m.id))


@bp.get("/inbox")
def inbox() -> str:
    show_handled = request.args.get("handled") == "1"
    stmt = select(Message).where(*_flagged)
    if show_handled:
        stmt = stmt.where(Message.handled_at.is_not(None)).order_by(Message.handled_at.desc())
    else:
        stmt = stmt.where(Message.handled_at.is_(None)).order_by(
            _severity, Message.created_at.desc(), Message.id.desc()
        )
    page = db.paginate(stmt, per_page=PAGE_SIZE, max_per_page=PAGE_SIZE, error_out=False)
    ids = {m.patient_id for m in page.items if m.patient_id}
    patients = {p.id: p for p in db.session.scalars(select(Patient).where(Patient.id.in_(ids)))}
    now = utcnow()
    hours = current_app.config["STAFF_FLAG_OVERDUE_HOURS"]
    return render_template(
        "staff/inbox.html",
        page=page,
        patients=patients,
        show_handled=show_handled,
        now=now,
        overdue_hours=hours,
        overdue_before=now - timedelta(hours=hours),
        overdue_count=overdue_count(now, hours),
    )


def overdue_count(now: datetime, hours: int) -> int:
    """Flagged texts nobody has handled for more than `hours`."""
    return db.session.scalar(
        select(func.count(Message.id)).where(
            *_flagged,
            Message.handled_at.is_(None),
            Message.created_at < now - timedelta(hours=hours),
        )
    )


@bp.post("/inbox/<int:message_id>/handle")
def handle(message_id: int) -> Response:
    msg = db.session.get(Message, message_id)
    if msg is None or msg.flag is None or msg.direction != INBOUND:
        abort(404)
    form = HandleForm()
    if not form.validate():
        flash("Add a short note saying what was done.", "error")
    elif not _mark_handled(msg, form.note.data.strip()):
        db.session.rollback()
        flash("Someone else marked this one handled first; their note is kept.", "error")
    else:
        # The note may name the patient: the audit row keeps only ids.
        target = audit.patient_target(msg.patient_id) if msg.patient_id else ""
        audit.record("inbox.handle", target, f"message:{msg.id} {msg.flag}")
        db.session.commit()
        flash("Marked handled.")
    return redirect(url_for("staff.inbox"))


def _mark_handled(msg: Message, note: str) -> bool:
    """Set the handled fields unless someone already did (two staff on one text)."""
    result = db.session.execute(
        update(Message)
        .where(Message.id == msg.id, Message.handled_at.is_(None))
        .values(handled_at=utcnow(), handled_by=current_user.email[:120], handled_note=note)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
