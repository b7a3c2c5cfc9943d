"""Opt-out, opt-in and help: the carrier (CTIA) and TCPA rules, checked before anything else.

Single-word keywords follow Twilio's defaults on long codes and toll-free numbers. Plain
language opt-outs ("please stop texting me") count too, because a patient who asks us to
stop in words means it. A sentence that merely contains "stop" ("how do I stop the
diarrhea") is not an opt-out.
"""

from __future__ import annotations

import re

from bot.conversation.text import normalize

STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out"}
)
START_WORDS = frozenset({"start", "unstop"})
YES_WORDS = frozenset({"yes", "y", "yes please", "yep", "yeah", "ok yes"})
HELP_WORDS = frozenset({"help", "info"})

# Courtesy words that don't change a one-word command ("STOP please", "stop!!!").
_FILLER = re.compile(r"\b(please|pls|plz|now|thanks|thank you|thx)\b")

_US = r"(me|us|this (number|phone)|my (number|phone))"
_OPT_OUT_PHRASES = re.compile(
    r"|".join(
        [
            r"\b(stop|quit|cease|no more)\s+(texting|messaging|txting|sending|contacting)\b",
            rf"\b(don'?t|do not|dont|never)\s+(text|message|txt|contact|send)\s+{_US}",
            rf"\bremove\s+{_US}\b",
            rf"\btake\s+{_US}\s+off\b",
            r"\b(unsubscribe|opt me out|opt out|optout)\b",
            r"\bno more (texts|messages|txts|reminders)\b",
            r"\bleave me alone\b",
            r"\b(stop|end|cancel)\s+(all\s+)?(the\s+)?(texts|messages|reminders|txts)\b",
            r"\bwrong number\b",
        ]
    )
)


def _command(text: str) -> str:
    """The message as a bare command: normalised, courtesy words removed."""
    return " ".join(_FILLER.sub(" ", normalize(text)).split())


def classify(text: str) -> str | None:
    """'stop', 'start', 'yes', 'help' or None. The single place these rules live."""
    command = _command(text)
    if command in STOP_WORDS:
        return "stop"
    if command in START_WORDS:
        return "start"
    if command in YES_WORDS:
        return "yes"
    if command in HELP_WORDS:
        return "help"
    if _OPT_OUT_PHRASES.search(normalize(text)):
        return "stop"
    return None
