"""The reminder text: the one composer, used when planning (so preview shows the exact
text) and again just before sending (the scan or the questions may have changed).

Short on purpose: one GSM-7 segment when it fits, never more than two (the content
check holds the templates and the longest questions to two). Discreet patients get the
`reminder_discreet` template and each question's discreet wording, so a lock screen
never shows "scan", "cancer" or "immunotherapy".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app

from bot.models import Patient, Scan
from bot.sms.segments import segment_info
from bot.timeutil import format_when, utcnow
from content import Content


@dataclass(frozen=True)
class Composed:
    body: str
    questions_used: int  # how far Patient.question_cursor moves once this is sent


def compose_reminder(
    patient: Patient, scan: Scan, cursor: int, now: datetime | None = None
) -> Composed:
    """The reminder for `scan`, with questions from `cursor` on (two if they fit in one
    segment, else one). `now` is when it is read (its due time when planned, the send when
    sent): a scan the next day says "tomorrow"."""
    content: Content = current_app.extensions["nextsteps.content"].in_language(patient.language)
    program = current_app.config["PROGRAM_NAME"]
    template = content.replies["reminder_discreet" if patient.discreet else "reminder"]
    questions = content.questions
    wording = "discreet" if patient.discreet else "text"
    when = format_when(
        scan.scheduled_at, patient.timezone, patient.language, now or utcnow(), scan.time_confirmed
    )
    for count in (2, 1):
        picked = [getattr(questions[(cursor + i) % len(questions)], wording) for i in range(count)]
        body = template.format(
            program=program, kind=scan.kind, when=when, questions=" ".join(picked)
        )
        if count == 1 or segment_info(body).segments == 1:
            return Composed(body, count)
    raise AssertionError("unreachable")
