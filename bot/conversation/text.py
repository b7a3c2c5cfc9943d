"""Normalise what a patient typed, once, for every step of the pipeline."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")


# Every step of the pipeline normalises the same text again (about ten times a text):
# done once per distinct text, it is a dictionary lookup after that.
@lru_cache(maxsize=1024)
def normalize(text: str) -> str:
    """Lower case, ASCII, punctuation to spaces, single spaces. Keeps apostrophes."""
    text = unicodedata.normalize("NFKD", text or "").translate(_APOSTROPHES)
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip(" '")


def words(text: str) -> list[str]:
    """Words of an already-normalised text, apostrophes dropped (can't -> cant)."""
    return [w.replace("'", "") for w in text.split() if w.strip("'")]


# A negation a few words before a phrase ("no chest pain", "not short of breath",
# "no me falta el aire", "don't stop sending these") cancels it, but only inside its
# clause: "no fever but I can't breathe" still counts. One home for both languages.
_NEGATION = re.compile(
    r"\b(no|not|without|never|denies|deny|dont|don't|doesnt|doesn't|isnt|isn't|havent|"
    r"haven't|hasnt|hasn't|wont|won't|no more|free of|zero|nunca|sin|ni|tampoco|nada de|ningun|"
    r"ninguna)\b(\s+\w+){0,2}\s*$"
)
_CLAUSE = re.compile(r"\b(but|and|however|although|though|now|pero|y|aunque|sino)\b")


def negated(norm: str, start: int) -> bool:
    """Whether the phrase starting at `start` of normalised text is negated just before."""
    before = _CLAUSE.split(norm[:start])[-1]
    return bool(_NEGATION.search(before))
