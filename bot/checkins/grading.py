"""Reading an answer and grading it: pure functions over content/checkins.yaml.

The thresholds are data beside the questions (content/checkins.yaml, explained in
content/CHECKINS.md): a triage aid for the care team, not a diagnosis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.conversation.text import normalize, words
from content.checkins import CheckinContent, CheckinQuestion

SCALE_MAX = 3  # scale questions are 0-3, the grade itself
COUNT_MAX = 40  # more loose stools a day than this is a typo, not an answer
MAX_ANSWER_WORDS = 8  # a number inside a longer text is not read as the answer
PLAIN_WORDS = 4  # "3", "three", "none", "a bit worse": a plain answer, nothing more
_NO_PREFIX = frozenset({"no", "none", "sin", "nada", "ninguna", "ninguno", "zero", "cero"})
_DIGITS = re.compile(r"^\d{1,3}$")


class Trend(StrEnum):
    WORSE = "worse"
    SAME = "same"
    BETTER = "better"


class Escalation(StrEnum):
    URGENT = "urgent"  # grade 3+: the urgent reply now, a flag, the check-in stops
    TODAY = "today"  # grade 2, or worse two weeks running: call today, a flag
    NOTE = "note"  # free words in "anything else": a flag so a person reads them


@dataclass(frozen=True)
class Reading:
    value: int | None = None  # the number the patient gave (0 for "none")
    trend: Trend | None = None
    none: bool = False  # "none", "no", "ninguna": nothing to report
    plain: bool = False  # nothing in the text but the answer (few words, all understood)


def _trend_of(tokens: list[str], cc: CheckinContent) -> Trend | None:
    for trend in Trend:
        if any(t in cc.words[trend.value] for t in tokens):
            return trend
    return None


def read_answer(
    text: str, question: CheckinQuestion, cc: CheckinContent, *others: CheckinContent
) -> Reading:
    """What a reply says as an answer to `question`, in the check-in's language or, failing
    that, in `others` ("mejor" in an English check-in). Unclear: value and trend None."""
    reading = _read(text, question, cc)
    for other in others:
        if reading.value is not None or reading.trend is not None:
            break
        # Only the other language's words, not its numbers: "once" is 11 in Spanish.
        reading = _read(text, question, replace(other, numbers={}))
    return reading


def _read(text: str, question: CheckinQuestion, cc: CheckinContent) -> Reading:
    norm = normalize(text)
    tokens = words(norm)
    if norm in cc.words["none"]:
        return Reading(0, none=True, plain=True)
    for trend in Trend:
        if norm in cc.words[trend.value]:
            return Reading(trend=trend, plain=True)
    numbers = {int(t) for t in tokens if _DIGITS.match(t)}
    numbers |= {cc.numbers[t] for t in tokens if t in cc.numbers}
    trend = _trend_of(tokens, cc)
    plain = len(tokens) <= PLAIN_WORDS
    if len(numbers) == 1 and len(tokens) <= MAX_ANSWER_WORDS:
        value = numbers.pop()
        top = SCALE_MAX if question.kind == "scale" else COUNT_MAX
        return Reading(value, trend, plain=plain) if value <= top else Reading(trend=trend)
    if not numbers and trend is None and tokens and tokens[0] in _NO_PREFIX and len(tokens) <= 3:
        return Reading(0, none=True, plain=True)  # "no cough", "sin diarrea"
    return Reading(trend=trend, plain=plain and trend is not None)


def grade(question: CheckinQuestion, value: int | None) -> int | None:
    """The CTCAE-style grade of a number: a scale's value is its grade; a count's grade is
    the highest threshold it reaches. Free text and unknown values are not graded."""
    if value is None or question.kind == "free":
        return None
    if question.kind == "scale":
        return value
    return next((g for at_least, g in question.thresholds if value >= at_least), 0)


def trend_of(said: Trend | None, value: int | None, last_value: int | None) -> Trend | None:
    """What the patient said, else this week's number against last week's."""
    if said is not None or value is None or last_value is None:
        return said
    if value > last_value:
        return Trend.WORSE
    return Trend.SAME if value == last_value else Trend.BETTER


def escalation(
    grade_: int | None, trend: Trend | None, last_trend: str | None
) -> Escalation | None:
    """Grade 3+: urgent. Grade 2, or the same symptom worse two weeks running: call today."""
    if grade_ is not None and grade_ >= 3:
        return Escalation.URGENT
    if grade_ == 2 or (trend == Trend.WORSE and last_trend == Trend.WORSE):
        return Escalation.TODAY
    return None
