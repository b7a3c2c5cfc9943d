"""Load checkins.yaml: the check-in questions, the answer words and the replies, per language.

Structure only (ContentError names the file and the question); SMS rules (GSM-7, two
segments) are checked by bot.content_check like every other text.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from content import yamlio

KINDS = ("count", "scale", "free")
WORD_SETS = ("none", "same", "worse", "better")
COMMAND_SETS = ("start_words", "confirm_words", "reschedule_words")
REPLY_KEYS = ("intro", "call_today", "done", "confirmed", "reschedule")


class CheckinContentError(ValueError):
    """checkins.yaml is malformed (a content.ContentError subclass is raised by the loader)."""


@dataclass(frozen=True)
class CheckinQuestion:
    id: str
    label: str  # what staff read (chart title)
    kind: str  # count (a number, graded by thresholds), scale (0-3 = grade), free
    thresholds: tuple[tuple[int, int], ...]  # (at least, grade), highest first; count only
    ask: str
    reask: str
    # Words naming the symptom, every language: "no cough" / "sin diarrea" mean none.
    symptoms: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CheckinContent:
    questions: tuple[CheckinQuestion, ...]
    words: dict[str, frozenset[str]]  # none / same / worse / better -> whole answers
    numbers: dict[str, int]  # number words: "three" -> 3
    commands: dict[str, frozenset[str]]  # start_words / confirm_words / reschedule_words
    replies: dict[str, str]


def _text(data: dict, key: str, where: str, language: str) -> str:
    value = data.get(key)
    if not isinstance(value, dict) or not isinstance(value.get(language), str):
        raise CheckinContentError(
            f"checkins.yaml, {where}: '{key}' must give the text in {language}"
        )
    return " ".join(value[language].split())


def _words(data: dict, key: str, language: str) -> frozenset[str]:
    value = (data.get(key) or {}).get(language)
    if not isinstance(value, list) or not value:
        raise CheckinContentError(f"checkins.yaml: '{key}' must list words in {language}")
    bad = [w for w in value if not isinstance(w, str)]  # YAML reads a bare no as False
    if bad:
        raise CheckinContentError(f"checkins.yaml: '{key}' ({language}): quote {bad}")
    return frozenset(" ".join(str(w).lower().split()) for w in value)


def _question(data: dict, language: str) -> CheckinQuestion:
    qid = data.get("id")
    where = f"question '{qid}'"
    if data.get("kind") not in KINDS:
        raise CheckinContentError(f"checkins.yaml, {where}: 'kind' must be one of {KINDS}")
    thresholds = data.get("thresholds") or {}
    if data["kind"] == "count" and not thresholds:
        raise CheckinContentError(f"checkins.yaml, {where}: a count needs 'thresholds'")
    return CheckinQuestion(
        id=str(qid),
        label=str(data.get("label") or qid),
        kind=data["kind"],
        thresholds=tuple(sorted(((int(k), int(v)) for k, v in thresholds.items()), reverse=True)),
        ask=_text(data, "ask", where, language),
        reask=_text(data, "reask", where, language),
        symptoms=_symptoms(data, where),
    )


def _symptoms(data: dict, where: str) -> frozenset[str]:
    """The symptom's names in all languages (an answer may mix them)."""
    by_language = data.get("symptoms") or {}
    if not isinstance(by_language, dict) or not all(
        isinstance(v, list) for v in by_language.values()
    ):
        raise CheckinContentError(f"checkins.yaml, {where}: 'symptoms' must list words by language")
    return frozenset(str(w).lower() for v in by_language.values() for w in v)


def load_checkins(directory: Path, language: str) -> CheckinContent:
    """checkins.yaml in one language."""
    with (directory / "checkins.yaml").open(encoding="utf-8") as fh:
        raw = yamlio.load(fh)
    if not isinstance(raw, dict) or not isinstance(raw.get("questions"), list):
        raise CheckinContentError("checkins.yaml: must have a 'questions' list")
    words = raw.get("words") or {}
    numbers = (words.get("numbers") or {}).get(language)
    if not isinstance(numbers, dict):
        raise CheckinContentError(f"checkins.yaml: 'words.numbers' must map words in {language}")
    replies = raw.get("replies") or {}
    return CheckinContent(
        questions=tuple(_question(q, language) for q in raw["questions"]),
        words={key: _words(words, key, language) for key in WORD_SETS},
        numbers={str(k).lower(): int(v) for k, v in numbers.items()},
        commands={key: _words(raw, key, language) for key in COMMAND_SETS},
        replies={key: _text(replies, key, f"reply '{key}'", language) for key in REPLY_KEYS},
    )
