"""Reading an answer and grading it: pure functions over content/checkins.yaml.

The thresholds are data beside the questions (content/checkins.yaml, explained in
content/CHECKINS.md): a triage aid for the care team, not a diagnosis.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from enum import StrEnum

from bot.conversation.text import negated, normalize, words
from content.checkins import CheckinContent, CheckinQuestion

SCALE_MAX = 3  # scale questions are 0-3, the grade itself
COUNT_MAX = 40  # more loose stools a day than this is a typo, not an answer
MAX_ANSWER_WORDS = 8  # a number inside a longer text is not read as the answer
PLAIN_WORDS = 4  # "3", "three", "none", "a bit worse": a plain answer, nothing more
# A short negation of the question's own symptom is "none": a negation word, at most one
# linking word, then the symptom ("no cough", "no tengo diarrea", "nada de tos"). A negation
# of anything else ("sin energia", "no muy bien", "no puedo bañarme") is unclear: re-asked.
_NO_PREFIX = frozenset({"no", "not", "none", "sin", "nada", "ninguna", "ninguno", "zero", "cero"})
_LINKS = frozenset({"tengo", "hay", "estoy", "de", "any"})
# "No, tengo tos" is "No (I'm not fine), I have a cough": a "no" with its own punctuation.
_NO_ALONE = re.compile(r"^\W*\w+\s*[,.;:!?-]", re.UNICODE)
# "una"/"uno" are also the article "a" ("una zona grande"): 1 only as the whole answer.
_ONE_ALONE = frozenset({"una", "uno", "una vez", "one time"})
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


def _trend_of(tokens: list[str], cc: CheckinContent) -> tuple[Trend | None, bool]:
    """The trend word in the answer (worse first), and whether a negation comes before it
    ("no estoy mejor", "not better"): a negated trend is unclear, not its opposite."""
    text = " ".join(tokens)
    for trend in Trend:
        for i, token in enumerate(tokens):
            if token in cc.words[trend.value]:
                start = len(" ".join(tokens[: i + 1])) - len(token)
                return trend, negated(text, start)
    return None, False


def _negates_symptom(text: str, tokens: list[str], question: CheckinQuestion) -> bool:
    """'no cough', 'sin diarrea', 'no estoy cansada': see _NO_PREFIX."""
    if not tokens or tokens[0] not in _NO_PREFIX or _NO_ALONE.match(text):
        return False
    rest = tokens[1:]
    if len(rest) == 2 and rest[0] in _LINKS:
        rest = rest[1:]
    return len(rest) == 1 and rest[0] in question.symptoms


def read_answer(
    text: str, question: CheckinQuestion, cc: CheckinContent, *others: CheckinContent
) -> Reading:
    """What a reply says as an answer to `question`, in the check-in's language or, failing
    that, in `others` ("mejor" in an English check-in). Unclear: value and trend None."""
    reading = _read(text, question, cc)
    for other in others:
        if reading.value is not None or reading.trend is not None or reading.plain:
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
    if norm in _ONE_ALONE:
        return Reading(1, plain=True)
    numbers = {int(t) for t in tokens if _DIGITS.match(t)}
    numbers |= {cc.numbers[t] for t in tokens if t in cc.numbers}
    trend, trend_negated = _trend_of(tokens, cc)
    trend = None if trend_negated else trend
    plain = len(tokens) <= PLAIN_WORDS
    if len(numbers) == 1 and len(tokens) <= MAX_ANSWER_WORDS:
        value = numbers.pop()
        top = SCALE_MAX if question.kind == "scale" else COUNT_MAX
        return Reading(value, trend, plain=plain) if value <= top else Reading(trend=trend)
    if not numbers and not trend_negated and _negates_symptom(text, tokens, question):
        return Reading(0, none=True, plain=True)
    # "no estoy mejor" is understood as unclear (asked again), not free text for the model.
    return Reading(trend=trend, plain=plain and (trend is not None or trend_negated))


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
