"""The audit log: who did what, when. One row per staff action, never any PHI.

Patients are named by id only ("patient:12"): no phone, no name, no message text, no
scan date. The entry is added to the caller's transaction, so an action and its audit
row are committed (or rolled back) together.
"""

from __future__ import annotations

from flask_login import current_user

from bot.extensions import db
from bot.models import AuditEntry


def patient_target(patient_id: int) -> str:
    return f"patient:{patient_id}"


def record(action: str, target: str = "", detail: str = "", actor: str | None = None) -> None:
    """Add an audit row for the logged-in staff member (or `actor`). Caller commits."""
    if actor is None:
        actor = current_user.email if current_user.is_authenticated else "anonymous"
    db.session.add(
        AuditEntry(actor=actor[:254], action=action[:48], target=target[:64], detail=detail[:400])
    )
