"""Triage: which tier a text is, from the red-flag rules and the calibrated classifier.

The rules keep their veto: a red flag in scope (`safety`, `scope`) is an alarm whatever
the classifier says. The classifier alone raises an alarm at `model.ALARM_P` or more
(P(urgent) at a clinic's real prior), unless a rule found the words and scoped them out
(a pet's seizure, a fever that is over): then, as when it is merely unsure (`REVIEW_P`),
the text gets its normal answer, one line to call if it is new or getting worse, and a
`review` flag below urgent. An alarm the rules did not make is self-harm (988) when the
self-harm head says so, else a call to the care team now.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import safety
from bot.conversation.understanding import model
from bot.conversation.understanding.model import Classifier, Prediction
from bot.patients.status import Tier
from bot.sms.segments import segment_info

if TYPE_CHECKING:  # the pipeline imports this module
    from bot.conversation.pipeline import Decision

MAX_SEGMENTS = 2
# The topic model's urgent score (LinearSVC margin) from which a text is an alarm anyway:
# the margin main used before the calibrated heads, kept as a safety net.
SAFETY_NET_MARGIN = -0.2
# Replies that are not answers: no review line is added to them (a check-in answer is
# graded by the check-in itself; C and R answer a reminder).
_NOT_ANSWERS = frozenset(
    {"stop", "start", "yes", "help", "thanks", "language", "silenced", "checkin"}
    | {"scan_confirm", "scan_reschedule"}
)


def assess(text: str, seen: Prediction | None) -> safety.RedFlag | None:
    """The red flag this text raises (rules first), or None."""
    found = safety.matches(text)
    rule = next((flag for flag, why in found if why is None), None)
    scoped_out = any(why for _, why in found)
    alarm = _model_flag(seen, scoped_out) if seen else None
    if rule and rule.family == safety.BEREAVEMENT and alarm and alarm.family != rule.family:
        return alarm  # a text that mentions a death may still be an alarm about the living
    return rule or alarm


def _model_flag(seen: Prediction, scoped_out: bool) -> safety.RedFlag | None:
    phrase = "classifier: " + " ".join(seen.evidence)
    if seen.p_urgent >= model.ALARM_P and not scoped_out:
        if seen.p_self_harm >= model.SELF_HARM_P:
            return safety.RedFlag(safety.SELF_HARM, phrase, Tier.EMERGENCY)
        tier = Tier.EMERGENCY if seen.p_911 >= model.EMERGENCY_P else Tier.CALL_NOW
        return safety.RedFlag(safety.URGENT, phrase, tier)
    if seen.score_of("urgent") >= SAFETY_NET_MARGIN:
        # The topic model comes close to calling it urgent: an alarm whatever the
        # calibrated head and the scopes say. Without this net the held-out corpus lost 7
        # of 184 urgent texts (4 of them self-harm) to a review; with it none, at the cost
        # of more call-now replies (EVALUATION.md). 988 only when self-harm is likely.
        if seen.p_self_harm >= model.SELF_HARM_P:
            return safety.RedFlag(safety.SELF_HARM, phrase, Tier.EMERGENCY)
        return safety.RedFlag(safety.URGENT, phrase, Tier.CALL_NOW)
    if seen.label == "bereavement" and seen.score >= 0:
        return safety.RedFlag(safety.BEREAVEMENT, phrase, Tier.NONE)
    return None


def reply_key(flag: safety.RedFlag) -> str:
    """The replies.yaml key: 988 only for self-harm; 911 only for an emergency sign."""
    if flag.family == safety.SELF_HARM:
        return "urgent_self_harm"
    return "urgent" if flag.tier == Tier.EMERGENCY else "call_now"


def review_body(text: str, classifier: Classifier, decision: Decision, line: str) -> str | None:
    """The answer with the review line, when the classifier is unsure; else None."""
    if decision.flag or decision.body is None or decision.topic in _NOT_ANSWERS:
        return None
    if decision.offered:  # "Did you mean 1, 2, 3": cutting it would lose the choices
        return None
    if classifier.predict(text).p_urgent < model.REVIEW_P:
        return None
    return fit(decision.body, line)


def fit(body: str, line: str) -> str:
    """body + line within MAX_SEGMENTS: whole sentences of the body are dropped from the
    end until it fits (the line is what must be read)."""
    sentences = body.split(". ")
    while sentences:
        candidate = ". ".join(sentences).rstrip(".") + ". " + line
        if segment_info(candidate).segments <= MAX_SEGMENTS:
            return candidate
        sentences.pop()
    return line
