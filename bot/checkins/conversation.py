"""One turn of a check-in conversation: pure, no database, no clock.

The pipeline (bot.conversation.pipeline) calls `answer()` for a text that arrives while a
check-in is open, after STOP/HELP and the red-flag checks; bot.checkins.store applies the
`Turn` it returns. One short re-ask when an answer is unclear, then the next question.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bot.checkins.grading import Escalation, Trend, escalation, grade, read_answer, trend_of
from bot.patients.status import CheckinStatus
from content.checkins import CheckinContent


@dataclass(frozen=True)
class Previous:
    """The patient's answer to the same question in their last check-in."""

    value: int | None
    trend: str | None


@dataclass(frozen=True)
class OpenCheckin:
    """Where an open check-in stands when a text arrives."""

    id: int
    step: int  # index of the question waiting for an answer
    reasked: bool
    language: str = "en"  # the check-in goes on in the language it started in
    said_trend: str | None = None  # "worse" said before the re-ask, kept with the number
    previous: Mapping[str, Previous] = field(default_factory=dict)


@dataclass(frozen=True)
class Turn:
    """What one text does to the check-in: the answer to store and what comes next."""

    checkin_id: int | None  # None: start a new check-in (CHECK)
    question: str | None  # the question this text answered (None: nothing answered)
    value: int | None = None
    grade: int | None = None
    trend: str | None = None
    escalation: str | None = None
    step: int = 0  # the question waiting after this turn
    reasked: bool = False
    status: CheckinStatus = CheckinStatus.OPEN
    body: str = ""  # the reply (filled by the pipeline for a red flag)


def first_question(cc: CheckinContent, fill: Mapping[str, str]) -> str:
    """The text that opens a check-in: the intro and question 1."""
    return f"{cc.replies['intro'].format(**fill)} {cc.questions[0].ask}"


def start(cc: CheckinContent, fill: Mapping[str, str]) -> Turn:
    """CHECK / CHEQUEO: a new check-in, its first question as the reply."""
    return Turn(None, None, body=first_question(cc, fill))


def interrupted(state: OpenCheckin, cc: CheckinContent, alarm: str) -> Turn:
    """A red flag in an answer: the urgent reply went out; the check-in stops there."""
    question = cc.questions[state.step].id
    return Turn(
        state.id,
        question,
        escalation=Escalation.URGENT,
        step=state.step,
        status=CheckinStatus.ESCALATED,
        body=alarm,
    )


def answer(
    state: OpenCheckin,
    text: str,
    cc: CheckinContent,
    fill: Mapping[str, str],
    urgent: str,
    *others: CheckinContent,
) -> Turn:
    """Read `text` as the answer to the waiting question, grade it and say what is next.
    `urgent` is the urgent reply (grade 3: sent at once, and the check-in stops); `others`:
    the answer words of the other languages, tried when the check-in's own don't fit."""
    q = cc.questions[state.step]
    reading = read_answer(text, q, cc, *others)
    if q.kind == "free":
        if not reading.none and len(text.split()) <= 1 and not state.reasked:
            return Turn(state.id, q.id, step=state.step, reasked=True, body=q.reask)  # "yes"
        note = None if reading.none else Escalation.NOTE
        return _next(state, cc, fill, Turn(state.id, q.id, escalation=note))
    last = state.previous.get(q.id)
    value = reading.value
    if value is None and reading.trend == Trend.SAME and last is not None:
        value = last.value
    said = reading.trend or (Trend(state.said_trend) if state.said_trend else None)
    # "same" / "igual" is an answer, even with no number last week to carry over: asking
    # again would only get "same" again. Stored as the trend, with no invented number.
    same = reading.trend == Trend.SAME and reading.plain
    if value is None and not state.reasked and not same:  # one short re-ask
        return Turn(state.id, q.id, trend=said, step=state.step, reasked=True, body=q.reask)
    trend = trend_of(said, value, last.value if last else None)
    grade_ = grade(q, value)
    level = escalation(grade_, trend, last.trend if last else None)
    found = Turn(state.id, q.id, value, grade_, trend, level)
    if level == Escalation.URGENT:
        return replace(found, step=state.step, status=CheckinStatus.ESCALATED, body=urgent)
    return _next(state, cc, fill, found)


def _next(state: OpenCheckin, cc: CheckinContent, fill: Mapping[str, str], turn: Turn) -> Turn:
    """On to the next question (or the closing words), after "call today" when needed."""
    parts = [cc.replies["call_today"].format(**fill)] if turn.escalation == Escalation.TODAY else []
    step = state.step + 1
    if step < len(cc.questions):
        parts.append(cc.questions[step].ask)
        return replace(turn, step=step, body=" ".join(parts))
    parts.append(cc.replies["done"].format(**fill))
    return replace(turn, step=step, status=CheckinStatus.COMPLETED, body=" ".join(parts))
