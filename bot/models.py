"""The database: patients, consent history, every message, scans, reminders, staff, audit.

All timestamps are stored as naive UTC (`utcnow()`); local time is computed with zoneinfo
only where a person reads it. Status values are the StrEnums of bot.patients.status.
"""

from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import (
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.extensions import db
from bot.patients.status import CheckinStatus, PatientStatus, ReminderStatus, ScanStatus
from bot.timeutil import utcnow  # the one clock; imported from here by many modules

# Status values live in bot.patients.status (StrEnum); these names are kept for brevity.
PENDING, ACTIVE, STOPPED, PAUSED = PatientStatus
PATIENT_STATUSES = tuple(PatientStatus)

# Message.direction
INBOUND, OUTBOUND = "inbound", "outbound"

# Outbound delivery states, in the only order they may move (callbacks arrive out of order).
DELIVERY_ORDER = {
    "queued": 0,
    "accepted": 0,
    "sending": 1,
    "sent": 2,
    "undelivered": 3,
    "failed": 3,
    "delivered": 4,
}

PLANNED, CLAIMED, SENT, SKIPPED, CANCELLED, FAILED = ReminderStatus
SCHEDULED, DONE = ScanStatus.SCHEDULED, ScanStatus.DONE


class Patient(db.Model):
    __tablename__ = "patients"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    phone: Mapped[str] = mapped_column(String(20), unique=True, index=True)  # E.164
    display_name: Mapped[str] = mapped_column(String(80), default="")
    status: Mapped[str] = mapped_column(String(12), default=PENDING, index=True)
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    # "en" or "es"; None until the patient's first text or staff say (texts then go in English).
    language: Mapped[str | None] = mapped_column(String(8), nullable=True, default=None)
    # Discreet: reminders avoid "scan", "cancer", "immunotherapy" on a lock screen.
    discreet: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set when Twilio says the number cannot receive texts (21211, 30005, 30006...).
    flag_reason: Mapped[str | None] = mapped_column(String(120), nullable=True)
    # Rescan rhythm: first scan N weeks after treatment start, then every M weeks.
    treatment_start: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    rhythm_first_weeks: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rhythm_every_weeks: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # Rotates the questions-to-bring so each reminder offers different ones.
    question_cursor: Mapped[int] = mapped_column(Integer, default=0)
    # Set while staff have unenrolled the patient (status stopped): the status it had, so
    # staff can undo it. Cleared by the undo or by the patient's own STOP or START.
    unenrolled_from: Mapped[str | None] = mapped_column(String(12), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    scans: Mapped[list[Scan]] = relationship(
        back_populates="patient", cascade="all, delete-orphan", order_by="Scan.scheduled_at"
    )

    def __repr__(self) -> str:
        return f"<Patient {self.id} ...{self.phone[-4:]} {self.status}>"


class ConsentEvent(db.Model):
    """Compliance record: who/what/when for every opt-in and opt-out. Append-only."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Kept by phone (not only patient id) so the record outlives a patient's erasure.
    phone: Mapped[str] = mapped_column(String(20), index=True)
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="SET NULL"), nullable=True
    )
    event: Mapped[str] = mapped_column(String(24))  # opt_in_requested, opt_in, opt_out
    source: Mapped[str] = mapped_column(String(24))  # sms, staff, import, cli, twilio
    detail: Mapped[str] = mapped_column(String(200), default="")  # keyword or staff email
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class Message(db.Model):
    """Every inbound and outbound text."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_phone_id", "phone", "id"),
        # The clock looks for staff texts and invitations to retry at every tick: a small
        # partial index (schedules/staff_texts.py writes the same literal).
        Index(
            "ix_messages_retried_status",
            "status",
            sqlite_where=text("topic IN ('staff', 'opt_in')"),
            postgresql_where=text("topic IN ('staff', 'opt_in')"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Twilio's MessageSid. Unique: a retried webhook is stored once.
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    direction: Mapped[str] = mapped_column(String(8))
    phone: Mapped[str] = mapped_column(String(20))  # the patient's side, E.164
    patient_id: Mapped[int | None] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), nullable=True, index=True
    )
    body: Mapped[str] = mapped_column(Text, default="")
    topic: Mapped[str | None] = mapped_column(String(32), nullable=True)
    language: Mapped[str | None] = mapped_column(String(8), nullable=True)  # "en" / "es"
    # An inbound text's answer card ("card-id"), or the cards offered ("?id1,id2,id3").
    cards: Mapped[str | None] = mapped_column(String(200), nullable=True)
    # inbound: received; outbound: replied (TwiML), queued, sent, delivered, failed...
    status: Mapped[str] = mapped_column(String(16))
    error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The TwiML reply to an inbound text, so a retried webhook gets the same answer.
    reply_to_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), nullable=True, index=True
    )
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="SET NULL"), nullable=True, index=True
    )
    # Staff follow-up (urgent, bereavement, unanswered questions).
    flag: Mapped[str | None] = mapped_column(String(24), nullable=True, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    handled_by: Mapped[str | None] = mapped_column(String(120), nullable=True)
    handled_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # A text staff wrote (topic "staff"): who sent it, and its retries (like a reminder's).
    sent_by: Mapped[str | None] = mapped_column(String(254), nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Scan(db.Model):
    __tablename__ = "scans"
    # The clock finds scans whose time has just passed (rescan rhythm) without reading the
    # future ones. Partial, so per-patient queries keep using ix_scans_patient_id on SQLite.
    __table_args__ = (
        Index(
            "ix_scans_upcoming",
            "scheduled_at",
            sqlite_where=text("status = 'scheduled'"),
            postgresql_where=text("status = 'scheduled'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    scheduled_at: Mapped[datetime] = mapped_column(DateTime)  # UTC
    kind: Mapped[str] = mapped_column(String(8), default="CT")  # CT or PET
    place: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(12), default=SCHEDULED)
    # False: only the date is known (planned from the rescan rhythm); staff set the time.
    time_confirmed: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)

    patient: Mapped[Patient] = relationship(back_populates="scans")


class Reminder(db.Model):
    """The outbox: one row per reminder to send, planned from a scan."""

    __tablename__ = "reminders"
    __table_args__ = (
        # Claiming scans only due, planned rows.
        Index("ix_reminders_status_due", "status", "due_at"),
        UniqueConstraint("scan_id", "offset_days", name="uq_reminders_scan_offset"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    scan_id: Mapped[int | None] = mapped_column(
        ForeignKey("scans.id", ondelete="CASCADE"), nullable=True, index=True
    )
    offset_days: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(DateTime)  # UTC, already out of quiet hours
    status: Mapped[str] = mapped_column(String(12), default=PLANNED)
    body: Mapped[str] = mapped_column(Text, default="")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    claimed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    twilio_sid: Mapped[str | None] = mapped_column(String(64), nullable=True)
    error_code: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, index=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def is_active(self) -> bool:  # Flask-Login
        return bool(self.active)


class AuditEntry(db.Model):
    """Every staff action. Never holds PHI: patients are referred to by id."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(254))
    action: Mapped[str] = mapped_column(String(48))
    target: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[str] = mapped_column(String(400), default="")
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)


class ClockTick(db.Model):
    """The clock's heartbeat, for /healthz (one row per named job)."""

    __tablename__ = "clock_ticks"

    name: Mapped[str] = mapped_column(String(48), primary_key=True)
    last_tick_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    detail: Mapped[str] = mapped_column(String(200), default="")


class RateLimitCounter(db.Model):
    """Flask-Limiter's fixed-window counters (bot/ratelimit.py), shared by every worker.

    `key` is the SHA-256 of the limiter's key: no address or email is stored in clear.
    `expires_at` is wall-clock epoch seconds.
    """

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    expires_at: Mapped[float] = mapped_column(Float, index=True)


class CheckinSchedule(db.Model):
    """A patient's weekly symptom check-in: local weekday and time, set by staff."""

    __tablename__ = "checkin_schedules"

    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), primary_key=True
    )
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, in the patient's zone
    local_time: Mapped[str] = mapped_column(String(5))  # "10:00"
    # The next moment the clock starts one (UTC); moved on atomically when it is taken.
    next_due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True, index=True)
    note: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the last skip
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, onupdate=utcnow)


class Checkin(db.Model):
    """One check-in conversation: the questions asked one at a time and where it stands."""

    __tablename__ = "checkins"
    __table_args__ = (Index("ix_checkins_status_prompt", "status", "last_prompt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(12))  # "clock" (weekly) or "patient" (CHECK)
    status: Mapped[str] = mapped_column(String(12), default=CheckinStatus.OPEN)
    language: Mapped[str] = mapped_column(String(8), default="en")
    step: Mapped[int] = mapped_column(Integer, default=0)  # index of the question waiting
    reasked: Mapped[bool] = mapped_column(Boolean, default=False)  # this question re-asked
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_prompt_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)

    answers: Mapped[list[CheckinAnswer]] = relationship(
        back_populates="checkin", cascade="all, delete-orphan", order_by="CheckinAnswer.id"
    )


class CheckinAnswer(db.Model):
    """The patient's answer to one question: the words, what we read, the grade."""

    __tablename__ = "checkin_answers"
    __table_args__ = (UniqueConstraint("checkin_id", "question", name="uq_checkin_question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    checkin_id: Mapped[int] = mapped_column(
        ForeignKey("checkins.id", ondelete="CASCADE"), index=True
    )
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[str] = mapped_column(String(24))  # stools, breathing, skin, energy, other
    text: Mapped[str] = mapped_column(Text, default="")  # the patient's words (PHI)
    value: Mapped[int | None] = mapped_column(Integer, nullable=True)
    grade: Mapped[int | None] = mapped_column(Integer, nullable=True)
    trend: Mapped[str | None] = mapped_column(String(8), nullable=True)  # worse, same, better
    escalation: Mapped[str | None] = mapped_column(String(16), nullable=True)  # urgent, today
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    checkin: Mapped[Checkin] = relationship(back_populates="answers")


class ScanReply(db.Model):
    """A patient's C (confirm) or R (reschedule) answer to a reminder."""

    __tablename__ = "scan_replies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    patient_id: Mapped[int] = mapped_column(
        ForeignKey("patients.id", ondelete="CASCADE"), index=True
    )
    scan_id: Mapped[int | None] = mapped_column(
        ForeignKey("scans.id", ondelete="CASCADE"), nullable=True, index=True
    )
    reminder_id: Mapped[int | None] = mapped_column(
        ForeignKey("reminders.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(12))  # confirmed / reschedule
    message_id: Mapped[int | None] = mapped_column(
        ForeignKey("messages.id", ondelete="SET NULL"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
