"""Numbers dictated or typed in words, as digits: "fever of one hundred point six",
"calentura de ciento uno punto cuatro", "treinta y ocho y medio".

Old phones and voice dictation write temperatures in words; the red-flag rules read
digits. Only what reads as a temperature is rewritten (35 to 106, or any number with a
decimal part), so "one loose stool" or "a hundred times" stay as written.
"""

from __future__ import annotations

import re

_UNITS = {
    **dict.fromkeys(("zero", "cero"), 0),
    **dict.fromkeys(("one", "uno", "una", "un"), 1),
    **dict.fromkeys(("two", "dos"), 2),
    **dict.fromkeys(("three", "tres"), 3),
    **dict.fromkeys(("four", "cuatro"), 4),
    **dict.fromkeys(("five", "cinco"), 5),
    **dict.fromkeys(("six", "seis"), 6),
    **dict.fromkeys(("seven", "siete"), 7),
    **dict.fromkeys(("eight", "ocho"), 8),
    **dict.fromkeys(("nine", "nueve"), 9),
    **dict.fromkeys(("ten", "diez"), 10),
    "eleven": 11, "once": 11, "twelve": 12, "doce": 12, "thirteen": 13, "trece": 13,
    "fourteen": 14, "catorce": 14, "fifteen": 15, "quince": 15, "sixteen": 16,
    "dieciseis": 16, "seventeen": 17, "diecisiete": 17, "eighteen": 18, "dieciocho": 18,
    "nineteen": 19, "diecinueve": 19,
}  # fmt: skip
_TENS = {
    "twenty": 20, "veinte": 20, "thirty": 30, "treinta": 30, "forty": 40, "cuarenta": 40,
    "fifty": 50, "cincuenta": 50, "sixty": 60, "sesenta": 60, "seventy": 70, "setenta": 70,
    "eighty": 80, "ochenta": 80, "ninety": 90, "noventa": 90,
}  # fmt: skip
_HUNDREDS = {"hundred": 100, "cien": 100, "ciento": 100}
_JOINERS = {"and", "y", "a"}  # "a hundred and one", "treinta y ocho"
_POINT = {"point", "punto", "dot"}
_HALF = re.compile(r"^(y medio|and a half|y media)\b")
_WORD = re.compile(r"[a-z]+")
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | set(_HUNDREDS)


def _value(words: list[str]) -> int | None:
    """The number a run of number words and joiners says (None for joiners alone)."""
    total, seen = 0, False
    for word in words:
        if word in _UNITS:
            total += _UNITS[word]
        elif word in _TENS:
            total += _TENS[word]
        elif word == "hundred":
            total = (total or 1) * 100
        elif word in _HUNDREDS:
            total += 100
        else:  # a joiner: "and", "y", "a"
            continue
        seen = True
    return total if seen else None


def digits(norm: str) -> str:
    """`norm` (normalised text) with temperatures in words written as digits."""
    if not _NUMBER_WORDS.intersection(norm.split()):
        return norm
    out, words, i = [], norm.split(), 0
    while i < len(words):
        j = _run_end(words, i)
        value = _value(words[i:j]) if j > i else None
        if value is None:
            out.append(words[i])
            i += 1
            continue
        decimal, k = _decimal(words, j)
        if 35 <= value <= 106 or decimal is not None:
            out.append(f"{value} {decimal}" if decimal is not None else str(value))
        else:
            out.extend(words[i:j])
            k = j
        i = k
    return " ".join(out)


def _run_end(words: list[str], i: int) -> int:
    """Where the run of number words starting at `i` ends ("and"/"y" only inside one)."""
    j = i
    while j < len(words):
        nxt = words[j + 1] if j + 1 < len(words) else ""
        starts = words[j] in _NUMBER_WORDS or (words[j] == "a" and nxt == "hundred")
        if not (starts or (words[j] in _JOINERS and j > i and nxt in _NUMBER_WORDS)):
            break
        j += 1
    return j


def _decimal(words: list[str], j: int) -> tuple[int | None, int]:
    """The digit after "point"/"punto" (or "y medio": 5), and where the number ends."""
    if j + 1 < len(words) and words[j] in _POINT:
        nxt = words[j + 1]
        if nxt.isdigit():
            return int(nxt[0]), j + 2
        if nxt in _UNITS and _UNITS[nxt] < 10:
            return _UNITS[nxt], j + 2
    if _HALF.match(" ".join(words[j : j + 3])):
        return 5, j + 3 if words[j] == "and" else j + 2
    return None, j
