"""Apply the pipeline to one inbound text: dedupe, loop guard, decide, record, reply.

The webhook and the `flask reply` command call this module; the decision itself comes
from `pipeline.decide()`, so there is one implementation of what the bot says.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Insert, bindparam, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from bot.checkins import store as checkins
from bot.checkins.conversation import OpenCheckin
from bot.conversation.pipeline import (
    FLAG_SELF_HARM,
    FLAG_URGENT,
    AwaitingReply,
    Context,
    Decision,
    Pipeline,
)
from bot.conversation.staff_texts import FLAG_REPLY_TO_STAFF
from bot.conversation.staff_texts import TOPIC as STAFF_TOPIC
from bot.extensions import db, reading_first, start_writing
from bot.logs import log_event
from bot.models import (
    ACTIVE,
    INBOUND,
    OUTBOUND,
    PAUSED,
    STOPPED,
    Message,
    Patient,
    Reminder,
    Scan,
    utcnow,
)
from bot.patients.consent import set_status_by_text
from bot.patients.status import CheckinStatus
from bot.queries import patient_by_phone, upcoming_scan
from bot.reminders.answers import record_reply
from bot.timeutil import When


def get_pipeline() -> Pipeline:
    return current_app.extensions["nextsteps.pipeline"]


# How much of a number's history one inbound text reads: enough for MORE and the loop guard.
HISTORY_ROWS = 30
# A unique conflict that is not the MessageSid's (a new number racing itself), a deadlock
# or a serialization failure (PostgreSQL 40P01, 40001) is retried.
RACE_ATTEMPTS = 3
_TRANSIENT = {"40P01", "40001"}


def _sqlstate(exc: Exception) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


@dataclass(frozen=True)
class HistoryRow:
    direction: str
    topic: str | None
    body: str
    created_at: datetime
    is_reply: bool
    reminder_id: int | None = None
    cards: str | None = None  # "card-id" given, "?a,b,c" offered (Message.cards)


# The hot path's statements, built once (Core: no ORM unit of work per text).
_MESSAGES = Message.__table__
_HISTORY = (
    select(
        _MESSAGES.c.direction,
        _MESSAGES.c.topic,
        _MESSAGES.c.body,
        _MESSAGES.c.created_at,
        _MESSAGES.c.reply_to_id.is_not(None),
        _MESSAGES.c.reminder_id,
        _MESSAGES.c.cards,
    )
    .where(_MESSAGES.c.phone == bindparam("phone"))
    .order_by(_MESSAGES.c.id.desc())
    .limit(HISTORY_ROWS)
)
_PATIENT = select(Patient).where(Patient.phone == bindparam("phone"))
_REPLIES_SINCE = select(func.count()).where(
    _MESSAGES.c.phone == bindparam("phone"),
    _MESSAGES.c.reply_to_id.is_not(None),
    _MESSAGES.c.created_at >= bindparam("since"),
)
_INSERT_INBOUND = insert(_MESSAGES).returning(_MESSAGES.c.id)
_INSERT_REPLY = insert(_MESSAGES)
# What a text and its reply share; the rest of each row is its own.
_SHARED = ("phone", "patient_id", "topic", "language", "created_at")


def _text_and_reply() -> Insert:
    """The text and its reply in one statement (PostgreSQL: the reply's INSERT selects the
    text's new id from a data-modifying WITH). Parameters: the text's columns prefixed t_,
    and reply_body. Every defaulted column is given, so no default is computed twice."""
    c = _MESSAGES.c

    def param(name: str):  # noqa: ANN202
        return bindparam(f"t_{name}", type_=c[name].type)

    own = ("twilio_sid", "direction", "body", "flag", "status", "cards")
    text = (
        insert(_MESSAGES)
        .values(
            {n: param(n) for n in (*own, *_SHARED)}
            | {"attempts": literal(0), "updated_at": param("created_at")}
        )
        .returning(c.id)
        .cte("inbound_text")
    )
    reply = select(
        literal(OUTBOUND, c.direction.type),
        bindparam("reply_body", type_=c.body.type),
        literal("replied", c.status.type),
        *(param(n) for n in _SHARED),
        literal(0),
        param("created_at"),
        text.c.id,
    )
    columns = ["direction", "body", "status", *_SHARED, "attempts", "updated_at", "reply_to_id"]
    return insert(_MESSAGES).from_select(columns, reply)


_INSERT_TEXT_AND_REPLY = _text_and_reply()


def _history(phone: str) -> list[HistoryRow]:
    """This number's recent messages, newest first, in one indexed query."""
    return [HistoryRow(*row) for row in db.session.execute(_HISTORY, {"phone": phone})]


def load_context(
    phone: str, patient: Patient | None, history: list[HistoryRow] | None = None
) -> Context:
    """What the pipeline needs to know about this number, from the message history. The
    next scan is left out: only a question about it needs it (see decide_for)."""
    history = history if history is not None else _history(phone)
    talking = patient is not None and patient.status in (ACTIVE, PAUSED)
    return context_from(
        history,
        status=patient.status if patient else None,
        language=patient.language if patient else None,
        next_scan=None,
        checkin=checkins.state_of(patient) if talking else None,
        reminder=_awaiting_reply(patient, history) if talking else None,
    )


def _next_scan(patient: Patient) -> tuple[str, str] | None:
    """The patient's next scan as the pipeline words it: (kind, local date and time)."""
    scan = upcoming_scan(patient, utcnow())
    if scan is None:
        return None
    return scan.kind, _when(scan, patient)


def _when(scan: Scan, patient: Patient) -> When:
    """The scan's time, worded later in the reply's language (not the stored one)."""
    return When(scan.scheduled_at, patient.timezone, utcnow(), scan.time_confirmed)


def decide_for(
    phone: str,
    body: str,
    patient: Patient | None,
    history: list[HistoryRow] | None = None,
    opt_out_type: str | None = None,
) -> Decision:
    """The pipeline's decision for this text from this number. The next scan is read only
    for a text that asks about it (a query and a date formatted for every text, before)."""
    pipeline = get_pipeline()
    ctx = replace(load_context(phone, patient, history), opt_out_type=opt_out_type)
    decision = pipeline.decide(body, ctx)
    if decision.topic == "next_scan" and patient is not None:
        decision = pipeline.decide(body, replace(ctx, next_scan=_next_scan(patient)))
    return decision


def context_from(
    history: list[HistoryRow],
    status: str | None,
    language: str | None,
    next_scan: tuple[str, str] | None,
    checkin: OpenCheckin | None = None,
    reminder: AwaitingReply | None = None,
) -> Context:
    """The Context of a thread, newest row first (the webhook's, and the simulator's)."""
    content_topics = get_pipeline().content.topics
    last_topic, more_sent = None, False
    for row in history:
        if row.direction != INBOUND:
            continue
        if row.topic == "more":
            more_sent = True
        elif row.topic in content_topics or row.topic == "prognosis":
            # After a prognosis question, MORE offers the care team, not the topic before.
            last_topic = row.topic
            break
    if last_topic is None:
        more_sent = False
    last_card, choices = _cards_of(history)
    return Context(
        status=status,
        language=language,
        last_topic=last_topic,
        more_sent=more_sent,
        next_scan=next_scan,
        last_was_ours=bool(history) and history[0].direction == OUTBOUND,
        checkin=checkin,
        reminder=reminder,
        last_card=last_card,
        choices=choices,
    )


def _cards_of(history: list[HistoryRow]) -> tuple[str | None, tuple[str, ...]]:
    """The card MORE follows (of the newest text that got a topic answer or MORE), and
    the cards offered in reply to the newest text (a digit picks one)."""
    texts = [r for r in history if r.direction == INBOUND]
    offered = texts[0].cards if texts and (texts[0].cards or "").startswith("?") else ""
    choices = tuple(offered[1:].split(",")) if offered else ()
    content_topics = get_pipeline().content.topics
    answered = (r for r in texts if r.topic == "more" or r.topic in content_topics)
    row = next(answered, None)
    given = row.cards if row and row.cards and not row.cards.startswith("?") else None
    return given, choices


def _awaiting_reply(patient: Patient, history: list[HistoryRow]) -> AwaitingReply | None:
    """The reminder a bare C or R answers: our newest text, if it is a recent reminder."""
    # Our confirmation of a C ("Reply R if you need to change the date") keeps the reminder open.
    ours = next((r for r in history if r.direction == OUTBOUND and r.topic != "scan_confirm"), None)
    hours = current_app.config["REMINDER_REPLY_HOURS"]
    if (
        ours is None
        or ours.reminder_id is None
        or ours.created_at < utcnow() - timedelta(hours=hours)
    ):
        return None
    reminder = db.session.get(Reminder, ours.reminder_id)
    scan = db.session.get(Scan, reminder.scan_id) if reminder and reminder.scan_id else None
    if scan is None:
        return None
    return AwaitingReply(reminder.id, scan.id, _when(scan, patient))


def preview(phone: str, body: str) -> Decision:
    """What this number would get, without recording anything (the `reply` command)."""
    patient = patient_by_phone(phone)
    return decide_for(phone, body, patient)


def _looping(phone: str, history: list[HistoryRow], body: str) -> str | None:
    """An auto-responder or stuck phone: we already replied many times this minute, or
    the same text keeps arriving. Counting our replies (not their texts) means a patient
    who was silenced, or who types fast, is not mistaken for a loop."""
    cfg = current_app.config
    now = utcnow()
    minute_ago = now - timedelta(minutes=1)
    replies = sum(1 for r in history if r.is_reply and r.created_at >= minute_ago)
    if len(history) == HISTORY_ROWS and history[-1].created_at >= minute_ago:
        # A flood: the minute holds more rows than the history read (muted texts push our
        # replies out of it), so count the minute's replies themselves.
        replies = db.session.scalar(_REPLIES_SINCE, {"phone": phone, "since": minute_ago})
    if replies >= cfg["LOOP_MAX_PER_MINUTE"]:
        return "rate"
    window = now - timedelta(minutes=cfg["LOOP_WINDOW_MINUTES"])
    recent = [r.body for r in history if r.direction == INBOUND and r.created_at >= window]
    recent = recent[: cfg["LOOP_MAX_REPEATS"]]
    same = body.strip().lower()
    if len(recent) >= cfg["LOOP_MAX_REPEATS"] and all(b.strip().lower() == same for b in recent):
        return "repeat"
    return None


def _stored_reply(inbound: Message) -> str | None:
    reply = db.session.scalars(
        select(Message.body).where(Message.reply_to_id == inbound.id).limit(1)
    ).first()
    return reply


def _existing(sid: str) -> Message | None:
    return db.session.scalars(select(Message).where(Message.twilio_sid == sid)).first()


@dataclass(frozen=True)
class Replayed:
    """A text replayed from the spool: when it arrived, and what we answered from memory
    while the database was down (`answered` False: it was never answered)."""

    at: datetime
    answered: bool = False
    reply: str | None = None


def answer_from_memory(body: str) -> str | None:
    """The reply when the database is unreachable: the pure pipeline, no history (STOP,
    HELP, START confirmations, urgent and self-harm replies, topic answers)."""
    return get_pipeline().decide(body, Context()).body


def handle_inbound(
    phone: str,
    body: str,
    sid: str,
    replayed: Replayed | None = None,
    opt_out_type: str | None = None,
) -> str | None:
    """Record the text once and return the reply to send (None: send nothing).

    A retried webhook (same MessageSid) gets the reply stored the first time. The unique
    MessageSid is the dedupe: the insert of a retry, or of a racing twin in another
    worker, fails and we answer with what the first one stored. The two message rows are
    Core inserts: this is the hot path, and the ORM's unit of work costs more than the
    rest of the request (see BENCHMARKS.md).
    """
    arrived = replayed.at if replayed else utcnow()
    for attempt in range(1, RACE_ATTEMPTS + 1):
        try:
            return _handle_once(phone, body, sid, replayed, arrived, opt_out_type)
        except OperationalError as exc:
            if _sqlstate(exc) not in _TRANSIENT:
                raise  # the database is down: the webhook answers from memory and spools
            db.session.rollback()
            log_event("sms.inbound_conflict", phone=phone, attempt=attempt, code=_sqlstate(exc))
        except IntegrityError:
            db.session.rollback()
            if _existing(sid) is not None:  # the unique MessageSid: a retried webhook
                return _twins_reply(sid)
            # Another conflict (a new number's first texts racing to create its record):
            # not a twin, so the text must still be stored. Read again and retry.
            log_event("sms.inbound_conflict", phone=phone, attempt=attempt)
    raise RuntimeError("inbound text kept conflicting; left in the spool for replay")


def _handle_once(
    phone: str,
    body: str,
    sid: str,
    replayed: Replayed | None,
    arrived: datetime,
    opt_out_type: str | None,
) -> str | None:
    reading_first()  # no transaction while reading and deciding (no lock on SQLite)
    patient = db.session.scalars(_PATIENT, {"phone": phone}).first()
    history = _history(phone)
    decision = decide_for(phone, body, patient, history, opt_out_type)
    reply, muted = _reply_unless_looping(decision, phone, history, body, replayed)
    row = _inbound_row(phone, body, patient, decision, muted, replayed)
    if row["flag"] is None and answers_staff(history, arrived):
        row["flag"] = FLAG_REPLY_TO_STAFF  # a nurse wrote: her answer goes to the inbox
    plain = not _changes_state(decision, patient)
    alone = start_writing(one_statement=plain)
    if plain:
        _record_text_and_reply(sid, row, reply, alone)
    else:
        _record(sid, row, reply, decision, patient, arrived)
    db.session.commit()
    log_event(
        "sms.inbound",
        phone=phone,
        topic=decision.topic,
        flag=decision.flag or "-",
        replied=bool(reply),
        muted=muted,
    )
    return reply


def _reply_unless_looping(
    decision: Decision,
    phone: str,
    history: list[HistoryRow],
    body: str,
    replayed: Replayed | None,
) -> tuple[str | None, bool]:
    """The reply to send, and whether the loop guard muted it. Consent confirmations and
    answers within an open check-in always go out. A red flag still gets its reply when a
    frightened patient texts fast, but not when the same text repeats (an auto-responder)."""
    looping = None if replayed else _looping(phone, history, body)
    reply = replayed.reply if replayed and replayed.answered else decision.body
    urgent = decision.flag in (FLAG_URGENT, FLAG_SELF_HARM)
    # A check-in is a quick exchange where "0", "0", "0" is normal, and it ends by itself
    # after five questions (starting one with CHECK is not exempt).
    answering = decision.checkin is not None and decision.checkin.checkin_id is not None
    if decision.consent is not None or answering:
        return reply, False
    muted = looping == "repeat" or bool(looping and not urgent)
    return (None if muted else reply), muted


def answers_staff(history: list[HistoryRow], at: datetime) -> bool:
    """Staff texted this number within STAFF_CONVERSATION_HOURS (newest rows first)."""
    since = at - timedelta(hours=current_app.config["STAFF_CONVERSATION_HOURS"])
    return any(r.topic == STAFF_TOPIC and r.created_at >= since for r in history)


def _inbound_row(
    phone: str,
    body: str,
    patient: Patient | None,
    decision: Decision,
    muted: bool,
    replayed: Replayed | None,
) -> dict:
    row = {
        "direction": INBOUND,
        "phone": phone,
        "patient_id": patient.id if patient else None,
        "body": body,
        "topic": decision.topic,
        "language": decision.language,
        "flag": decision.flag,
        "status": "muted" if muted else "received",
        "cards": cards_column(decision),
    }
    if replayed:
        row["created_at"] = replayed.at
    return row


def cards_column(decision: Decision) -> str | None:
    """What Message.cards stores for this decision (the simulator keeps the same)."""
    if not decision.cards:
        return None
    return ("?" if decision.offered else "") + ",".join(decision.cards)


def _changes_state(decision: Decision, patient: Patient | None) -> bool:
    """Whether the text does more than add its two rows: consent, language, a check-in
    turn, an answer to a reminder (see _record and _follow_up)."""
    return (
        decision.new_status is not None
        or (patient is not None and decision.new_language is not None)
        or decision.checkin is not None
        or decision.scan_reply is not None
    )


def _record_text_and_reply(sid: str, row: dict, reply: str | None, alone: bool) -> None:
    """The common case, a question and its answer: just the two rows. `alone` (PostgreSQL,
    autocommit): in one statement, so one round trip and no BEGIN/COMMIT. Otherwise two
    inserts in the write transaction (SQLite: under the write lock)."""
    if reply and alone:
        text = {"created_at": utcnow(), **row, "twilio_sid": sid}  # one time for both rows
        params = {f"t_{name}": value for name, value in text.items()}
        db.session.execute(_INSERT_TEXT_AND_REPLY, {**params, "reply_body": reply})
        return
    inbound_id = _insert_text(sid, row)
    if reply:
        _insert_reply(row, reply, inbound_id)


def _insert_text(sid: str, row: dict) -> int:
    """The text's row; its unique MessageSid is the dedupe (a twin raises IntegrityError)."""
    return db.session.execute(_INSERT_INBOUND, {"twilio_sid": sid, **row}).scalar_one()


def _insert_reply(row: dict, reply: str, inbound_id: int) -> None:
    """Our reply's row, linked to the text it answers."""
    reply_row = {**row, "direction": OUTBOUND, "body": reply, "flag": None, "cards": None}
    db.session.execute(_INSERT_REPLY, {**reply_row, "status": "replied", "reply_to_id": inbound_id})


def _record(
    sid: str,
    row: dict,
    reply: str | None,
    decision: Decision,
    patient: Patient | None,
    arrived: datetime,
) -> None:
    """Insert the text (its unique MessageSid is the dedupe: a twin raises IntegrityError),
    apply the state change, and store the reply linked to it."""
    inbound_id = _insert_text(sid, row)
    new_patient = _apply_state(decision, row["phone"], patient, arrived)
    if new_patient is not None and decision.new_language:
        new_patient.language = decision.new_language  # remembered for replies and reminders
    if new_patient is not None and patient is None:  # a STOP created the record
        db.session.execute(
            update(Message).where(Message.id == inbound_id).values(patient_id=new_patient.id)
        )
        row["patient_id"] = new_patient.id
    if new_patient is not None:
        _follow_up(decision, new_patient, row["body"], inbound_id)
    if reply:
        _insert_reply(row, reply, inbound_id)


def _follow_up(decision: Decision, patient: Patient, body: str, inbound_id: int) -> None:
    """What the text does beyond the reply: a check-in turn, a C/R answer to a reminder;
    an opt-out ends an open check-in."""
    now = utcnow()
    if decision.new_status == STOPPED:
        checkins.close_open(patient.id, CheckinStatus.CANCELLED, now)
    if decision.checkin is not None:
        checkins.apply(decision.checkin, patient, body, inbound_id, decision.language, now)
    if decision.scan_reply is not None:
        record_reply(patient, decision.scan_reply, inbound_id)


def _twins_reply(sid: str) -> str | None:
    """The answer stored for this MessageSid by the request that got there first."""
    db.session.rollback()
    twin = _existing(sid)
    return _stored_reply(twin) if twin else None


def _apply_state(
    decision: Decision, phone: str, patient: Patient | None, arrived: datetime
) -> Patient | None:
    if decision.new_status is None:
        return patient
    if patient is not None:
        # Locked and read again inside the write (PostgreSQL: FOR UPDATE; SQLite's write
        # lock is already held): a racing STOP and START never both read the old status.
        patient = db.session.scalars(
            select(Patient)
            .where(Patient.id == patient.id)
            .with_for_update(key_share=True)  # NO KEY UPDATE: texts' foreign keys still go
            .execution_options(populate_existing=True)
        ).first()
    if patient is None:
        # A STOP from a number we never enrolled is still a consent record to keep.
        patient = Patient(
            phone=phone, status=ACTIVE, timezone=current_app.config["DEFAULT_TIMEZONE"]
        )
        db.session.add(patient)
        db.session.flush()
    event = decision.consent or "status"
    set_status_by_text(patient, decision.new_status, event, decision.detail, arrived)
    return patient
