"""Admin-only pages: staff accounts (add, deactivate, reactivate) and the audit log."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from bot.extensions import db
from bot.models import AuditEntry, StaffUser
from bot.staff import audit, bp
from bot.staff.accounts import AccountError, create_staff, set_active
from bot.staff.auth import admin_required
from bot.staff.forms import StaffUserForm

AUDIT_PAGE_SIZE = 100


@bp.route("/users", methods=["GET", "POST"])
@admin_required
def users() -> str | Response:
    form = StaffUserForm()
    if form.validate_on_submit():
        try:
            user = create_staff(form.email.data, form.password.data, form.is_admin.data)
            audit.record("staff.add", f"staff:{user.id}", "admin" if user.is_admin else "staff")
            db.session.commit()
        except AccountError as exc:
            db.session.rollback()
            flash(f"Not added: {exc}", "error")
        else:
            flash(f"Added {user.email}.")
            return redirect(url_for("staff.users"))
    staff = db.session.scalars(select(StaffUser).order_by(StaffUser.email)).all()
    return render_template("staff/users.html", form=form, staff=staff)


def _set_active(user_id: int, active: bool) -> Response:
    user = db.session.get(StaffUser, user_id)
    if user is None:
        abort(404)
    if user.id == current_user.id:
        flash("You can't deactivate your own account.", "error")
        return redirect(url_for("staff.users"))
    set_active(user, active)
    audit.record("staff.activate" if active else "staff.deactivate", f"staff:{user.id}")
    db.session.commit()
    flash(f"{user.email} {'reactivated' if active else 'deactivated'}.")
    return redirect(url_for("staff.users"))


@bp.post("/users/<int:user_id>/deactivate")
@admin_required
def deactivate_user(user_id: int) -> Response:
    return _set_active(user_id, False)


@bp.post("/users/<int:user_id>/activate")
@admin_required
def activate_user(user_id: int) -> Response:
    return _set_active(user_id, True)


@bp.get("/audit")
@admin_required
def audit_log() -> str:
    stmt = select(AuditEntry).order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    actor = request.args.get("actor", "").strip()
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor.lower())
    page = db.paginate(
        stmt, per_page=AUDIT_PAGE_SIZE, max_per_page=AUDIT_PAGE_SIZE, error_out=False
    )
    return render_template("staff/audit.html", page=page, actor=actor)
