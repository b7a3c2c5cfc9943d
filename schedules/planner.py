"""Scans -> reminder rows. (Stub: the reminders work fills this in.)"""

from __future__ import annotations

from datetime import datetime

from bot.models import Patient


def replan(patient: Patient, now: datetime | None = None) -> None:
    """Recompute the patient's planned reminders from their scans. Caller commits."""
