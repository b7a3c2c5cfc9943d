"""Load the words the bot says from YAML and check their shape.

Content is data: one YAML file per topic in `topics/`, the service replies in
`replies.yaml`, the cited articles in `sources.yaml`, the questions to bring to a scan
visit in `questions.yaml`. Every text a patient reads is written in each of LANGUAGES,
side by side (`body: {en: ..., es: ...}`); a missing one is a ContentError. One `Content`
holds one language; `content.in_language("es")` gives its twin. A broken file stops
start-up with a ContentError naming the file and the topic. (Encoding and length
limits are SMS rules; they live in `bot.content_check`, which also runs at start-up.)
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import yaml

from content import yamlio
from content.cards import CardError, CardSet, load_cards
from content.checkins import CheckinContent, CheckinContentError, load_checkins

CONTENT_DIR = Path(__file__).resolve().parent
# The languages patients read; every text exists in each. English is the default.
LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"

# The topics patients can ask about; ids are part of the contract with the eval set.
TOPIC_IDS = (
    "trials",
    "hospice",
    "side_effects",
    "palliative",
    "treatment_options",
    "scans",
    "works",
    "pseudoprogression",
    "why_stopped",
    "questions",
    "coping",
    "immunotherapy",
)

# Service replies (keys of replies.yaml). Some share a topic id (e.g. next_scan_known and
# next_scan_unknown are both topic "next_scan").
REPLY_KEYS = (
    "clinic_phone_unset",
    "help",
    "stop",
    "start",
    "yes",
    "yes_nothing_pending",
    "more_none",
    "more_done",
    "next_scan_known",
    "next_scan_unknown",
    "urgent",
    "urgent_self_harm",
    "bereavement",
    "bereavement_stop",
    "call_now",
    "review_line",
    "prognosis",
    "more_prognosis",
    "thanks",
    "unknown",
    "unknown_closest",
    "did_you_mean",
    "examples",
    "language_set",
    "opt_in_request_bilingual",
    "opt_in_request",
    "reminder",
    "reminder_discreet",
)


class ContentError(ValueError):
    """A content file is missing, malformed or inconsistent."""


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    publisher: str
    seed: str


@dataclass(frozen=True)
class Topic:
    id: str
    title: str
    keywords: tuple[str, ...]
    cues: dict[str, float]
    body: str
    more: str
    sources: tuple[str, ...]
    path: str


@dataclass(frozen=True)
class Question:
    text: str
    discreet: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Content:
    topics: dict[str, Topic]
    replies: dict[str, str]
    sources: dict[str, Source]
    questions: tuple[Question, ...]
    menu_keywords: dict[str, str] = field(default_factory=dict)  # keyword -> service topic
    # Free-text cues for service topics (e.g. next_scan: "when is my next scan").
    service_cues: dict[str, dict[str, float]] = field(default_factory=dict)
    language: str = DEFAULT_LANGUAGE
    # The weekly symptom check-in (checkins.yaml): questions, answer words, replies.
    checkins: CheckinContent | None = None
    # The answer cards (cards/*.yaml), every language in each card; shared by the twins.
    cards: CardSet = field(default_factory=lambda: CardSet((), {}), compare=False, repr=False)
    # The same content in the other languages (filled by load_content).
    twins: dict[str, Content] = field(default_factory=dict, compare=False, repr=False)

    def in_language(self, language: str | None) -> Content:
        """This content in `language` (the default language when None or unknown)."""
        language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        return self if language == self.language else self.twins[language]


def _read_yaml(path: Path) -> object:
    try:
        with path.open(encoding="utf-8") as fh:
            return yamlio.load(fh)
    except FileNotFoundError:
        raise ContentError(f"{path.name}: file is missing") from None
    except UnicodeDecodeError as exc:
        raise ContentError(f"{path.name}: not UTF-8 ({exc})") from None
    except yaml.YAMLError as exc:
        raise ContentError(f"{path.name}: not valid YAML ({exc})") from None


def _require_str(data: dict, key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ContentError(f"{where}: '{key}' must be a non-empty string")
    return " ".join(value.split())  # YAML folding leaves stray spaces/newlines


def _require_words(data: dict, key: str, where: str, language: str) -> str:
    """One language's text of a field written in every language ({en: ..., es: ...})."""
    value = data.get(key)
    if not isinstance(value, dict):
        raise ContentError(f"{where}: '{key}' must give the text in {', '.join(LANGUAGES)}")
    return _require_str(value, language, f"{where}, {key}")


def _load_sources(directory: Path) -> dict[str, Source]:
    raw = _read_yaml(directory / "sources.yaml")
    if not isinstance(raw, dict) or not raw:
        raise ContentError("sources.yaml: must map source ids to title/publisher/seed")
    sources = {}
    for sid, data in raw.items():
        where = f"sources.yaml, source '{sid}'"
        if not isinstance(data, dict):
            raise ContentError(f"{where}: must be a mapping")
        sources[sid] = Source(
            id=sid,
            title=_require_str(data, "title", where),
            publisher=_require_str(data, "publisher", where),
            seed=_require_str(data, "seed", where),
        )
    return sources


def _source_list(data: dict, where: str, sources: dict[str, Source]) -> tuple[str, ...]:
    cited = data.get("sources")
    if not isinstance(cited, list) or not cited:
        raise ContentError(f"{where}: 'sources' must list at least one source id")
    for sid in cited:
        if sid not in sources:
            raise ContentError(f"{where}: unknown source '{sid}' (not in sources.yaml)")
    return tuple(cited)


def _load_topic(path: Path, sources: dict[str, Source], language: str) -> Topic:
    data = _read_yaml(path)
    if not isinstance(data, dict):
        raise ContentError(f"{path.name}: must be a mapping")
    topic_id = data.get("id")
    where = f"{path.name}, topic '{topic_id}'"
    if topic_id != path.stem:
        raise ContentError(f"{where}: 'id' must match the file name '{path.stem}'")
    keywords = (data.get("keywords") or {}).get(language, [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k for k in keywords):
        raise ContentError(f"{where}: 'keywords' must list strings for each language")
    cues = data.get("cues", {})
    if not isinstance(cues, dict) or not all(
        isinstance(k, str) and isinstance(v, int | float) and v > 0 for k, v in cues.items()
    ):
        raise ContentError(f"{where}: 'cues' must map words or phrases to positive weights")
    return Topic(
        id=topic_id,
        title=_require_str(data, "title", where),
        keywords=tuple(keywords),
        cues={k.lower(): float(v) for k, v in cues.items()},
        body=_require_words(data, "body", where, language),
        more=_require_words(data, "more", where, language),
        sources=_source_list(data, where, sources),
        path=str(path),
    )


def _load_questions(
    directory: Path, sources: dict[str, Source], language: str
) -> tuple[Question, ...]:
    raw = _read_yaml(directory / "questions.yaml")
    if not isinstance(raw, list) or not raw:
        raise ContentError("questions.yaml: must be a non-empty list")
    questions = []
    for i, data in enumerate(raw, 1):
        where = f"questions.yaml, question {i}"
        if not isinstance(data, dict):
            raise ContentError(f"{where}: must be a mapping with text, discreet and sources")
        questions.append(
            Question(
                text=_require_words(data, "text", where, language),
                # The lock-screen-safe wording.
                discreet=_require_words(data, "discreet", where, language),
                sources=_source_list(data, where, sources),
            )
        )
    return tuple(questions)


def load_content(directory: str | Path | None = None) -> Content:
    """Load and structurally validate all content, in every language (the default one is
    returned; the others are its twins). Raises ContentError."""
    directory = Path(directory) if directory else CONTENT_DIR
    sources = _load_sources(directory)
    raw_replies = _read_yaml(directory / "replies.yaml")
    if not isinstance(raw_replies, dict):
        raise ContentError("replies.yaml: must map reply names to text")
    unknown = set(raw_replies) - set(REPLY_KEYS) - {"menu_keywords", "service_cues"}
    if unknown:
        raise ContentError(f"replies.yaml: unknown reply name(s) {', '.join(sorted(unknown))}")
    service_cues = _service_cues(raw_replies)
    cards = _cards(directory, set(sources))
    versions = {
        language: replace(
            _load_language(directory, sources, raw_replies, service_cues, language), cards=cards
        )
        for language in LANGUAGES
    }
    for content in versions.values():
        content.twins.update(versions)
    return versions[DEFAULT_LANGUAGE]


def _load_language(
    directory: Path, sources: dict[str, Source], raw: dict, service_cues: dict, language: str
) -> Content:
    topics = {}
    for path in sorted((directory / "topics").glob("*.yaml")):
        topic = _load_topic(path, sources, language)
        if topic.id not in TOPIC_IDS:
            raise ContentError(f"{path.name}: unknown topic id '{topic.id}'")
        topics[topic.id] = topic
    missing = [t for t in TOPIC_IDS if t not in topics]
    if missing:
        raise ContentError(f"topics/: missing topic file(s) for {', '.join(missing)}")
    replies = {
        key: _require_words(raw, key, f"replies.yaml, reply '{key}'", language)
        for key in REPLY_KEYS
    }
    menu_keywords = (raw.get("menu_keywords") or {}).get(language)
    if not isinstance(menu_keywords, dict):
        raise ContentError(
            "replies.yaml: 'menu_keywords' must map each language to {keyword: topic}"
        )
    return Content(
        topics=topics,
        replies=replies,
        sources=sources,
        questions=_load_questions(directory, sources, language),
        menu_keywords={str(k): str(v) for k, v in menu_keywords.items()},
        service_cues=service_cues,
        language=language,
        checkins=_checkins(directory, language),
    )


def _cards(directory: Path, sources: set[str]) -> CardSet:
    try:
        return load_cards(directory, set(TOPIC_IDS), sources, LANGUAGES)
    except CardError as exc:
        raise ContentError(str(exc)) from None


def _checkins(directory: Path, language: str) -> CheckinContent:
    try:
        return load_checkins(directory, language)
    except FileNotFoundError:
        raise ContentError("checkins.yaml: file is missing") from None
    except (CheckinContentError, yaml.YAMLError) as exc:
        raise ContentError(str(exc)) from None


def _service_cues(raw: dict) -> dict[str, dict[str, float]]:
    service_cues = raw.get("service_cues", {})
    if not isinstance(service_cues, dict) or not all(
        isinstance(cues, dict) and all(isinstance(w, int | float) and w > 0 for w in cues.values())
        for cues in service_cues.values()
    ):
        raise ContentError("replies.yaml: 'service_cues' must map topics to {cue: weight}")
    return {
        str(t): {str(k).lower(): float(v) for k, v in cues.items()}
        for t, cues in service_cues.items()
    }
