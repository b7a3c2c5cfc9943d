"""Normalise what a patient typed, once, for every step of the pipeline."""

from __future__ import annotations

import re
import unicodedata

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_NON_WORD = re.compile(r"[^a-z0-9' ]+")
_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """Lower case, ASCII, punctuation to spaces, single spaces. Keeps apostrophes."""
    text = unicodedata.normalize("NFKD", text or "").translate(_APOSTROPHES)
    text = text.encode("ascii", "ignore").decode("ascii").lower()
    text = _NON_WORD.sub(" ", text)
    return _SPACES.sub(" ", text).strip(" '")


def words(text: str) -> list[str]:
    """Words of an already-normalised text, apostrophes dropped (can't -> cant)."""
    return [w.replace("'", "") for w in text.split() if w.strip("'")]
