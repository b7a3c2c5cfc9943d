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
