"""Lint the content as SMS: GSM-7 only, segment limits, sources, every keyword reachable.

Runs at start-up (a failure stops the app) and as `flask content check`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.conversation import compliance, safety
from bot.conversation.matching import Matcher
from bot.sms.segments import non_gsm_chars, segment_info
from bot.timeutil import format_when
from content import LANGUAGES, Content, ContentError, load_content
from content.seedrefs import load_sentences

# Every answer tells the patient where it comes from, e.g. "(Sources: WebMD, patient handout)".
SOURCE_TAG = re.compile(r"\((Sources?|Fuentes?): [^()]+\)$")
MAX_SEGMENTS = 2  # a topic's first part and its MORE part: 306 GSM-7 characters each
# A reminder with any one question fits one segment where the language allows (English);
# Spanish dates and words run longer, so there the 2-segment limit of every text holds.
# bot.reminders.message adds a second question only when that still fits one segment.
REMINDER_TARGET_SEGMENTS = {"en": 1, "es": 2}

# Values that fill the templates when we measure them: long but realistic.
SAMPLE = {
    "program": "NextSteps",
    "clinic_phone": "614-555-0100",
    "kind": "PET",
    "when": "Wed Sep 30 at 10:30 AM",
    "choices": "TREATMENT OPTIONS, PSEUDOPROGRESSION or SIDE EFFECTS",
    "examples": "what is pseudoprogression? how long does it last?",
}
# The longest date format_when writes: "el miercoles 30 de septiembre a las 10:30 AM".
_LONGEST_WHEN = datetime(2026, 9, 30, 10, 30)


def _sample(language: str) -> dict[str, str]:
    """SAMPLE with the date as it is written in `language`."""
    return dict(SAMPLE, when=format_when(_LONGEST_WHEN, "UTC", language))


def lint(content: Content) -> list[str]:
    """Every problem found, each naming the file, topic and language. Empty means fine."""
    problems: list[str] = []
    for language in LANGUAGES:
        version = content.in_language(language)
        problems += _lint_topics(version) + _lint_replies(version) + _lint_questions(version)
        problems += _lint_checkins(version)
    return problems + _lint_keywords(content) + _lint_cards(content)


def _text_problems(where: str, text: str, max_segments: int = MAX_SEGMENTS) -> list[str]:
    problems = []
    bad = non_gsm_chars(text)
    if bad:
        shown = ", ".join(f"{c!r} (U+{ord(c):04X})" for c in bad)
        problems.append(f"{where}: not GSM-7: {shown}")
    info = segment_info(text)
    if info.segments > max_segments:
        problems.append(
            f"{where}: {info.units} characters is {info.segments} {info.encoding} segments"
            f" (at most {max_segments})"
        )
    return problems


def _lint_topics(content: Content) -> list[str]:
    problems = []
    for topic in content.topics.values():
        where = f"{Path(topic.path).name}, topic '{topic.id}' ({content.language})"
        problems += _text_problems(f"{where}, body", topic.body)
        problems += _text_problems(f"{where}, more", topic.more)
        for kw in topic.keywords:
            problems += _text_problems(f"{where}, keyword {kw!r}", kw)
        if not SOURCE_TAG.search(topic.more):
            problems.append(f"{where}: the MORE part must end with (Source: publisher)")
    return problems


def _lint_replies(content: Content) -> list[str]:
    problems, lang = [], content.language
    questions = sorted(content.questions, key=lambda q: len(q.text), reverse=True)[:2]
    for key, template in content.replies.items():
        values = _sample(lang)
        pick = "discreet" if key == "reminder_discreet" else "text"
        if key.startswith("reminder"):
            values["questions"] = " ".join(getattr(q, pick) for q in questions)
        try:
            text = template.format(**values)
        except (KeyError, IndexError, ValueError) as exc:
            problems.append(f"replies.yaml, reply '{key}' ({lang}): bad placeholder {exc}")
            continue
        problems += _text_problems(f"replies.yaml, reply '{key}' ({lang})", text)
        if not key.startswith("reminder"):
            continue
        # A rhythm-planned scan: "(time to be confirmed)" is longer than a time; such a
        # reminder may take 2 segments, never more.
        tbc = format_when(_LONGEST_WHEN, "UTC", lang, time_known=False)
        where = f"replies.yaml, reply '{key}' ({lang}), time to be confirmed"
        problems += _text_problems(where, template.format(**dict(values, when=tbc)))
        # A reminder with any one question must fit one segment (bot.reminders.message
        # adds a second question only when that still fits).
        for i, q in enumerate(content.questions, 1):
            one = template.format(**dict(values, questions=getattr(q, pick)))
            where = f"replies.yaml, reply '{key}' ({lang}) with question {i}"
            problems += _text_problems(where, one, REMINDER_TARGET_SEGMENTS[lang])
    return problems


def _lint_questions(content: Content) -> list[str]:
    problems = []
    for i, q in enumerate(content.questions, 1):
        where = f"questions.yaml, question {i} ({content.language})"
        problems += _text_problems(where, q.text)
        problems += _text_problems(f"{where}, discreet", q.discreet)
    return problems


def _lint_keywords(content: Content) -> list[str]:
    """A keyword is reachable only if no earlier pipeline step takes it first."""
    try:
        matcher = Matcher(content)
    except ValueError as exc:
        return [f"keywords: {exc}"]
    problems = []
    for keyword, topic_id in matcher.keyword_topics().items():
        if compliance.classify(keyword):
            problems.append(f"keyword {keyword!r} ({topic_id}) is taken by STOP/START/HELP")
        elif safety.red_flag(keyword):
            problems.append(f"keyword {keyword!r} ({topic_id}) is taken by the red-flag check")
        elif matcher.keyword(keyword) != topic_id:
            problems.append(f"keyword {keyword!r} does not reach topic {topic_id}")
    return problems


def _lint_cards(content: Content) -> list[str]:
    """Every card's answer and label as SMS text; every answer names its source."""
    problems = []
    for card in content.cards.cards:
        where = f"{Path(card.path).name}, card '{card.id}'"
        for lang in LANGUAGES:
            problems += _text_problems(f"{where} ({lang}), answer", card.answer[lang])
            problems += _text_problems(f"{where} ({lang}), label", card.label[lang], 1)
            if not SOURCE_TAG.search(card.answer[lang]):
                problems.append(f"{where} ({lang}): the answer must end with (Source: publisher)")
    return problems


@dataclass(frozen=True)
class Coverage:
    """Which cards use each article paragraph; what no card reaches."""

    paragraphs: dict[tuple[str, int], list[str]]  # (article, paragraph) -> card ids
    unreached: list[str]  # fact sentences no card uses (and not listed as not a fact)
    unknown: list[str]  # refs cards use that the articles do not have
    not_facts: dict[str, str]

    def lines(self) -> list[str]:
        out = [
            f"{a} paragraph {p}: {', '.join(ids) or '-'}" for (a, p), ids in self.paragraphs.items()
        ]
        out += [f"not a fact: {ref} ({why})" for ref, why in sorted(self.not_facts.items())]
        return out

    def problems(self) -> list[str]:
        return [f"no card reaches fact sentence {ref}" for ref in self.unreached] + [
            f"a card uses {ref}, which the articles do not have" for ref in self.unknown
        ]


def coverage(content: Content, seeds: Path) -> Coverage:
    """Each paragraph of the seed articles and the cards that use it (content/seedrefs.py)."""
    sentences = load_sentences(seeds)
    users: dict[str, list[str]] = {}
    for card in content.cards.cards:
        for ref in card.uses:
            users.setdefault(ref, []).append(card.id)
    paragraphs: dict[tuple[str, int], list[str]] = {}
    for s in sentences:
        ids = paragraphs.setdefault((s.article, s.paragraph), [])
        ids += [c for c in users.get(s.ref, []) if c not in ids]
    not_facts = content.cards.not_facts
    unreached = [
        s.ref for s in sentences if s.fact and s.ref not in users and s.ref not in not_facts
    ]
    unknown = sorted(set(users) - {s.ref for s in sentences})
    return Coverage(paragraphs, unreached, unknown, dict(not_facts))


def _lint_checkins(content: Content) -> list[str]:
    """Every check-in text as it is sent, alone or joined: the intro with the first question,
    "call your care team today" with the next question or the closing words."""
    checkins, lang = content.checkins, content.language
    if checkins is None:
        return ["checkins.yaml: not loaded"]
    replies = {k: v.format(**_sample(lang)) for k, v in checkins.replies.items()}
    texts = {f"reply '{k}'": v for k, v in replies.items()}
    texts["intro + question 1"] = f"{replies['intro']} {checkins.questions[0].ask}"
    texts["call_today + done"] = f"{replies['call_today']} {replies['done']}"
    for q in checkins.questions:
        texts[f"question '{q.id}'"] = q.ask
        texts[f"question '{q.id}', reask"] = q.reask
        texts[f"call_today + question '{q.id}'"] = f"{replies['call_today']} {q.ask}"
    problems = [
        p
        for where, text in texts.items()
        for p in _text_problems(f"checkins.yaml, {where} ({lang})", text)
    ]
    # An answer word or command must never be read as STOP/START/HELP or a red flag first.
    for group in (*checkins.words.values(), *checkins.commands.values()):
        for word in sorted(group):
            if compliance.classify(word) or safety.red_flag(word):
                problems.append(f"checkins.yaml ({lang}): {word!r} is taken by an earlier step")
    return problems


def load_checked_content(directory: str | Path | None = None) -> Content:
    """Load and lint; raise ContentError listing every problem."""
    content = load_content(directory)
    problems = lint(content)
    if problems:
        raise ContentError("content check failed:\n  " + "\n  ".join(problems))
    return content
