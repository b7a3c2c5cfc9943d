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

# The one-word commands, by language: a Spanish word is answered in Spanish.
WORDS = {
    "stop": {
        "en": {"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout"}
        | {"opt out", "stop stop"},
        "es": {"alto", "parar", "para", "pare", "paren", "cancelar", "baja", "detener", "basta"}
        | {"darme de baja", "dar de baja", "no mas", "no mas mensajes"},
    },
    "start": {"en": {"start", "unstop"}, "es": {"inicio", "iniciar", "reanudar", "comenzar"}},
    "yes": {
        "en": {"yes", "y", "yes please", "yep", "yeah", "ok yes", "i agree", "yes i agree"},
        "es": {"si", "si acepto", "acepto", "claro", "si claro", "claro que si", "si quiero"},
    },
    "help": {"en": {"help", "info"}, "es": {"ayuda", "ayudame", "informacion"}},
}

# Courtesy words that don't change a one-word command ("STOP please", "ALTO por favor").
_FILLER = re.compile(
    r"\b(please|pls|plz|now|thanks|thank you|thx|por favor|porfa|porfavor|x favor|xfa|"
    r"gracias|ya)\b"
)

_US = r"(me|us|this (number|phone)|my (number|phone))"
# Someone asking for the patient: "she asked me to shut these off", "take my mom off".
_THEM = r"(her|him|them|my (mom|mother|dad|father|husband|wife|son|daughter|wife's|husband's))"
_OPT_OUT_EN = re.compile(
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
            r"\bwrong (number|num|person|phone)\b",
            r"\b(lose|delete|forget|erase) (my|this|our) (number|phone|#)\b",
            r"\b(never|dont|don't|do not) (text|message|contact|txt|send) (me|us|\w+ here) (again|"
            r"anymore|ever)\b",
            r"\b(quit|stop|cease) (texting|messaging|txting|bothering|contacting)\b",
            r"\b(shut|turn|switch|cut) (these|this|them|it|the texts|the messages) off\b",
            r"\b(shut|turn|switch|cut) off (these|this|the|your|all) ?"
            r"(texts|messages|reminders)?\b",
            rf"\b(remove|unsubscribe|take) {_THEM}( off)?\b(?! (to|for|at|from the))",
            rf"\b(stop|cancel|end) ({_THEM}|her|his) (texts|messages|reminders)\b",
            r"\b(don'?t|do not|doesn'?t|does not|no longer) want (these|your|any more|anymore|"
            r"the|any|them|those) ?(texts|messages|reminders|txts)\b(?! to (stop|end))",
            r"\btake me off\b|\bunsubscribe\b",
            r"\b(she|he|they|mom|dad|my \w+) (wants|asked|asks|told) (me |us )?(you )?to "
            r"(stop|cancel|end|turn off|shut off)\b",
        ]
    )
)
_OPT_OUT_ES = re.compile(
    r"|".join(
        [
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
            r"\bnumero equivocado\b|\bse equivoc\w* de numero\b",
            r"\bno (me )?(vuelvan|vuelva|vuelvas) a (escribir|mandar|textear|enviar)\b",
            r"\bya no (quiero|quiere|deseo|desea) (estos|sus|los|mas|recibir) ?(mensajes|textos)\b",
            r"\b(quitenme|sacame|sacarme|borrenme|eliminenme|quitenla|quitenlo)\b",
            r"\b(ella|el|mi \w+) (no quiere|ya no quiere) (los |estos |sus |mas )?"
            r"(mensajes|textos)\b",
            r"\b(borren|borre|pierdan|olviden|quiten|quite|saquen|eliminen) (mi|este|su|el) "
            r"numero\b",
            r"\b(ya no|no) (le |me )?(escriban|manden|envien) (mas|a ella|a el)\b",
            r"\b(apaguen|apague|quiten|cancelen) (los|estos|sus) (mensajes|textos)\b",
        ]
    )
)


def _command(text: str) -> str:
    """The message as a bare command: normalised, courtesy words removed."""
    return " ".join(_FILLER.sub(" ", normalize(text)).split())


# Twilio Advanced Opt-Out's OptOutType form field: when Twilio sends it, it decides.
_OPT_OUT_TYPES = {"STOP": "stop", "START": "start", "HELP": "help"}


def with_opt_out_type(kind: str | None, opt_out_type: str | None) -> str | None:
    """The command, as Twilio's Advanced Opt-Out classified the text when it did
    (STOP, START, HELP); else what our own rules read."""
    return _OPT_OUT_TYPES.get((opt_out_type or "").strip().upper(), kind)


def classify(text: str) -> str | None:
    """'stop', 'start', 'yes', 'help' or None. The single place these rules live."""
    found = read(text)
    return found[0] if found else None


# Written before any words: a stop sign, a STOP that opens the text ("stop. who is
# this"), a wrong number written with # ("Wrong #").
_STOP_SIGN = "\U0001f6d1"
_LEADING_STOP = re.compile(
    r"^\s*(stop|alto|basta|unsubscribe)\s*[.!,:;?\n]|wrong\s*#", re.IGNORECASE
)
# A STOP that closes a longer text as a sentence of its own: "my husband died in May,
# please stop", "gracias por todo. alto por favor".
_CLOSING_STOP = re.compile(
    r"[.!,:;?\n]\s*(please\s+|por\s+favor\s+|pls\s+)?(stop|alto|basta|unsubscribe)"
    r"(\s+(please|pls|por\s+favor|now|ya))?\s*[.!]*\s*$",
    re.IGNORECASE,
)


def read(text: str) -> tuple[str, str] | None:
    """(command, language it was written in), or None."""
    closing = _CLOSING_STOP.search(text)
    if _STOP_SIGN in text or _LEADING_STOP.search(text) or closing:
        word = closing.group(2) if closing else text.strip()
        spanish = word.lower().startswith(("alto", "basta"))
        return "stop", "es" if spanish else "en"
    command = _command(text)
    for kind, by_language in WORDS.items():
        for language, words in by_language.items():
            if command in words:
                return kind, language
    norm = normalize(text)
    for language, phrases in (("en", _OPT_OUT_EN), ("es", _OPT_OUT_ES)):
        for match in phrases.finditer(norm):
            if not negated(norm, match.start()):
                return "stop", language
    return None
