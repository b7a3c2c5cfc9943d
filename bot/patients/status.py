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


class Tier(StrEnum):
    """How soon a person must act on a text (issue 23). Topic `urgent` means either of the
    first two; `review` is a normal answer plus a line to call if it is new or worse."""

    EMERGENCY = "emergency"  # 911 (988 for self-harm) now
    CALL_NOW = "call_now"  # the care team now, day or night, at the clinic's number
    REVIEW = "review"  # the models are unsure: a staff flag below urgent
    NONE = "none"


class Flag(StrEnum):
    """Staff inbox flags on an inbound text (messages.flag), most serious first."""

    SELF_HARM = "self_harm"
    URGENT = "urgent"
    # An emergency from a number that opted out: answered, and staff should call.
    CALL_OPTED_OUT = "call_opted_out"
    REVIEW = "review"
    BEREAVEMENT = "bereavement"
    PROGNOSIS = "prognosis"
    UNANSWERED = "unanswered"
    CHECKIN = "checkin"  # a check-in answer to look at today
    RESCHEDULE = "reschedule"  # R after a reminder: call to find a new time
