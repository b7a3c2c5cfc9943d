"""Opt-out, opt-in and help: the carrier (CTIA) and TCPA rules, checked before anything else.

Single-word keywords follow Twilio's defaults on long codes and toll-free numbers, with the
Spanish words US programs run beside them (ALTO, PARAR, CANCELAR, BAJA; INICIO; SI;
AYUDA). Plain-language opt-outs ("please stop texting me", "no mas mensajes") count too,
because a patient who asks us to stop in words means it. A sentence that merely contains
"stop" ("how do I stop the diarrhea") is not an opt-out, and neither is a negated one
("please don't stop sending these").
"""

from __future__ import annotations

import re

from bot.conversation.text import negated, normalize

STOP_WORDS = frozenset(
    {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out"}
    | {"alto", "parar", "para", "pare", "paren", "cancelar", "baja", "detener", "basta"}
    | {"darme de baja", "dar de baja", "no mas", "no mas mensajes", "stop stop"}
)
START_WORDS = frozenset({"start", "unstop", "inicio", "iniciar", "reanudar", "comenzar"})
YES_WORDS = frozenset(
    {"yes", "y", "yes please", "yep", "yeah", "ok yes", "si", "si acepto", "acepto", "claro"}
    | {"si claro", "claro que si", "si quiero", "i agree", "yes i agree"}
)
HELP_WORDS = frozenset({"help", "info", "ayuda", "ayudame", "informacion"})

# Courtesy words that don't change a one-word command ("STOP please", "ALTO por favor").
_FILLER = re.compile(
    r"\b(please|pls|plz|now|thanks|thank you|thx|por favor|porfa|porfavor|x favor|xfa|"
    r"gracias|ya)\b"
)

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
            r"\b(stop|end|cancel)\s+(all\s+)?(the\s+|these\s+|your\s+)?(texts|messages|reminde"
            r"rs|txts)\b",
            r"\bwrong number\b",
            # Spanish.
            r"\bno (me )?(manden|mande|envien|envie|escriban|escriba|mandes|textees)\b",
            r"\b(dejen|deje|dejar) de (mandar|enviar|escribir|textear)\w*",
            r"\bno (quiero|deseo|necesito) (recibir )?(mas )?(sus )?(mensajes|textos|msjs|reco"
            r"rdatorios)\b",
            r"\bno mas (mensajes|textos|msjs|recordatorios)\b",
            r"\b(parar|paren|pare|para|detener|detengan|cancelar|cancelen|alto|basta)( de)?"
            r"( los| sus| estos| todos los| las)? (mensajes|textos|msjs|recordatorios)\b",
            r"\b(sacar|saquen|saque|quiten|quite|borren|borre|eliminen|elimine)(me)? (de (la|s"
            r"u|esta) "
            r"lista|mi numero)\b",
            r"\b(darme|dar|denme|deme|me doy) de baja\b",
            r"\bnumero equivocado\b",
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
    norm = normalize(text)
    for match in _OPT_OUT_PHRASES.finditer(norm):
        if not negated(norm, match.start()):
            return "stop"
    return None
