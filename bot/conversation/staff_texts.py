"""Texts staff write to a patient: what may be sent, sending it, and what its outcome means.

The same outbound path as a reminder: `bot.sms.transport` with the status callback (so
`/sms/status` moves it to delivered), the body saved before the call, Twilio's answer
classified by `transport.outcome_for`, a permanent failure applied by
`bot.patients.consent.apply_send_failure`, and a transient one retried by the clock
(`schedules/staff_texts.py`) with the reminders' backoff. The row is a `messages` row with
topic "staff", so it sits in the patient's thread and the patient's answer threads after it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import update

from bot.extensions import db
from bot.logs import log_event
from bot.models import OUTBOUND, PAUSED, PENDING, STOPPED, Message, Patient
from bot.patients.consent import apply_send_failure, opted_out_last
from bot.reminders.windows import in_quiet_hours
from bot.sms import transport as tr
from bot.sms.outbound import get_transport, status_callback_url
from bot.sms.segments import SegmentInfo, non_gsm_chars, segment_info
from bot.timeutil import to_local

TOPIC = "staff"
# The opt-in invitation goes the same saved-then-sent, retried way (bot.patients.enroll).
OPT_IN_TOPIC = "opt_in"
# Every topic the clock retries (schedules/staff_texts.py; ix_messages_retried_status).
RETRIED_TOPICS = (TOPIC, OPT_IN_TOPIC)
# The inbox flag on a patient's text that arrives within STAFF_CONVERSATION_HOURS of a
# staff text: the answer goes to a person, whatever the bot also replies.
FLAG_REPLY_TO_STAFF = "reply_to_staff"
# The house rule for every text to a patient: at most two segments.
MAX_SEGMENTS = 2


class StaffTextState(StrEnum):
    """Our own states of a staff text before Twilio's (queued, sent, delivered...)."""

    SENDING = "sending"  # saved, the call to Twilio under way
    RETRYING = "retrying"  # Twilio refused for now: the clock sends it again
    UNKNOWN = "unknown"  # no readable answer: the clock asks Twilio before resending
    FAILED = "failed"


@dataclass(frozen=True)
class Check:
    """Whether a text may go: a refusal stops it; warnings need staff to confirm."""

    info: SegmentInfo
    refusal: str | None = None
    warnings: list[str] = field(default_factory=list)


def check(patient: Patient | None, body: str, now: datetime, config: Mapping) -> Check:
    """The server's check of a staff text (the page's counter is only a preview)."""
    info = segment_info(body)
    first = standing(patient, now, config)
    if first.refusal:
        return Check(info, first.refusal)
    if not body.strip():
        return Check(info, "Not sent: the message is empty.")
    if info.segments > MAX_SEGMENTS:
        return Check(
            info,
            f"Not sent: {info.segments} segments is too long; keep it to {MAX_SEGMENTS}"
            " (old phones may show long texts in pieces).",
        )
    odd = non_gsm_chars(body)
    if odd:
        cost = (
            f"{' '.join(odd)} {'is' if len(odd) == 1 else 'are'} not plain SMS characters:"
            f" the text goes as UCS-2 ({info.segments} segment(s) of 70), at up to twice the cost."
        )
        return Check(info, None, [*first.warnings, cost])
    return Check(info, None, first.warnings)


def standing(patient: Patient | None, now: datetime, config: Mapping) -> Check:
    """What holds whatever the text says: refused (erased, opted out) or warnings (quiet
    hours, no opt-in yet, paused, a number Twilio reported). Shown with the form."""
    empty = segment_info("")
    if patient is None:
        return Check(empty, "This patient's record was erased: no text can be sent to the number.")
    if patient.status == STOPPED or opted_out_last(patient.phone):
        return Check(
            empty,
            "Texts can't be sent: this number has opted out (STOP or unenrolled). Texts can"
            " go again only after the patient texts START. Call the patient instead.",
        )
    warnings = []
    if in_quiet_hours(now, patient.timezone, config):
        local = to_local(now, patient.timezone).strftime("%H:%M")
        warnings.append(
            f"It is {local} for the patient, in quiet hours"
            f" ({config['QUIET_HOURS_START']}-{config['QUIET_HOURS_END']}): the text may wake them."
        )
    if patient.status == PENDING:
        warnings.append("The patient has not answered YES to the opt-in text yet.")
    if patient.status == PAUSED:
        warnings.append("Texts to this patient are paused.")
    if patient.flag_reason:
        warnings.append(f"Twilio reported a problem with this number: {patient.flag_reason}.")
    return Check(empty, None, warnings)


def queue(
    patient: Patient, body: str, staff_email: str, now: datetime, topic: str = TOPIC
) -> Message:
    """Save the text before any call to Twilio (a crash leaves a body to look for).
    The caller commits, then calls `send`."""
    msg = Message(
        direction=OUTBOUND,
        phone=patient.phone,
        patient_id=patient.id,
        body=body,
        topic=topic,
        language=patient.language,
        status=StaffTextState.SENDING,
        sent_by=staff_email[:254],
        attempts=0,
        created_at=now,
        updated_at=now,
    )
    db.session.add(msg)
    return msg


def send(msg: Message, now: datetime, retry_after: timedelta, config: Mapping) -> str:
    """One attempt: call Twilio (no transaction open), record the outcome; commits.
    Returns the message's new status."""
    msg_id, phone, body = msg.id, msg.phone, msg.body
    db.session.commit()
    try:
        result = get_transport().send(phone, body, status_callback_url())
    except Exception as exc:  # a library surprise: Twilio may have it; check before resending
        log_event("staff_text.send_crashed", phone=phone, error=type(exc).__name__)
        result = tr.SendResult(tr.RETRY, error=type(exc).__name__, unknown=True)
    msg = db.session.get(Message, msg_id)
    if msg is None:  # erased while the text was on its way
        return "gone"
    record(msg, result, now, retry_after, config)
    db.session.commit()
    return msg.status


def record(
    msg: Message, result: tr.SendResult, now: datetime, retry_after: timedelta, config: Mapping
) -> None:
    """What one attempt's outcome means for the row (and for the patient). Caller commits."""
    msg.attempts = (msg.attempts or 0) + 1
    msg.error_code = result.error_code
    msg.next_attempt_at = None
    if result.outcome == tr.SENT:
        msg.twilio_sid, msg.status = result.sid, result.status or "queued"
    elif result.unknown:
        msg.status = StaffTextState.UNKNOWN
    elif result.outcome == tr.RETRY and msg.attempts < config["SEND_MAX_ATTEMPTS"]:
        msg.status, msg.next_attempt_at = StaffTextState.RETRYING, now + retry_after
    else:
        msg.status = StaffTextState.FAILED
        patient = db.session.get(Patient, msg.patient_id) if msg.patient_id else None
        apply_send_failure(patient, result)
    log_event(
        "staff_text.send", phone=msg.phone, id=msg.id, outcome=result.outcome, status=msg.status
    )


def take(msg_id: int, from_status: str) -> bool:
    """Claim a row for one more attempt (atomic: a second clock gets False). Caller commits."""
    done = db.session.execute(
        update(Message)
        .where(Message.id == msg_id, Message.status == from_status)
        .values(status=StaffTextState.SENDING)
        .execution_options(synchronize_session=False)
    )
    return done.rowcount == 1
