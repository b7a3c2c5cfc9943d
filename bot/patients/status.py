"""Every status a row can be in, one enum per table (stored as their plain string value)."""

from __future__ import annotations

from enum import StrEnum


class PatientStatus(StrEnum):
    PENDING = "pending"  # invited, has not replied YES
    ACTIVE = "active"
    STOPPED = "stopped"  # opted out (STOP, staff unenroll, Twilio 21610)
    PAUSED = "paused"  # by staff: nothing is sent until resumed


class ReminderStatus(StrEnum):
    PLANNED = "planned"
    CLAIMED = "claimed"  # a dispatcher has it; reconciled after the lease
    SENT = "sent"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"
    FAILED = "failed"


class ScanStatus(StrEnum):
    SCHEDULED = "scheduled"
    DONE = "done"
    CANCELLED = "cancelled"


class ConsentKind(StrEnum):
    OPT_IN_REQUESTED = "opt_in_requested"
    OPT_IN = "opt_in"
    OPT_OUT = "opt_out"


class CheckinStatus(StrEnum):
    OPEN = "open"  # a question is waiting for the patient's answer
    COMPLETED = "completed"  # every question answered (or passed after one re-ask)
    MISSED = "missed"  # no reply within CHECKIN_ANSWER_HOURS: closed by the clock
    ESCALATED = "escalated"  # closed early: a grade-3 answer or a red flag (urgent reply sent)
    CANCELLED = "cancelled"  # the patient opted out (STOP) or was stopped while it was open


class ScanReplyKind(StrEnum):
    CONFIRMED = "confirmed"  # the patient texted C after a reminder
    RESCHEDULE = "reschedule"  # R: a staff task (inbox flag) to call the patient
