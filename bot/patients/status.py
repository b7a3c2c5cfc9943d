"""Every status a row can be in, one enum per table (stored as their plain string value)."""

from __future__ import annotations

from enum import StrEnum


class PatientStatus(StrEnum):
    PENDING = "pending"  # invited, has not replied YES
    ACTIVE = "active"
    STOPPED = "stopped"  # opted out (STOP, Twilio 21610) or unenrolled by staff (see below)
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
    OPT_OUT = "opt_out"  # the patient's own STOP (or Twilio's 21610): never undone by staff
    # Staff stopped all texts (status stopped, Patient.unenrolled_from set): the staff's act,
    # not the patient's, so staff can take it back while the patient has not opted out.
    STAFF_UNENROLLED = "unenrolled_by_staff"
    STAFF_UNENROLL_UNDONE = "unenroll_undone_by_staff"


class CheckinStatus(StrEnum):
    OPEN = "open"  # a question is waiting for the patient's answer
    COMPLETED = "completed"  # every question answered (or passed after one re-ask)
    MISSED = "missed"  # no reply within CHECKIN_ANSWER_HOURS: closed by the clock
    ESCALATED = "escalated"  # closed early: a grade-3 answer or a red flag (urgent reply sent)
    CANCELLED = "cancelled"  # the patient opted out (STOP) or was stopped while it was open


class ScanReplyKind(StrEnum):
    CONFIRMED = "confirmed"  # the patient texted C after a reminder
    RESCHEDULE = "reschedule"  # R: a staff task (inbox flag) to call the patient
