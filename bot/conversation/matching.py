"""Match a text to a topic: whole-message keywords first, then free-text meaning.

Everything is offline and built once from the content: keywords and weighted cue words
come from the topic files, so adding a topic or a synonym is a content change. Typos are
forgiven with rapidfuzz, word by word for free text and whole-message for keywords.
Below the confidence threshold the answer is "no match" and the caller sends the menu:
a wrong medical answer is worse than a menu.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import process
from rapidfuzz.distance import OSA

from bot.conversation.text import normalize, words
from content import Content

# Free text must score at least this, and beat the runner-up by MIN_MARGIN.
MIN_SCORE = 2.0
MIN_MARGIN = 1.0


def max_typos(length: int, in_sentence: bool = False) -> int:
    """Edits (insert, delete, substitute, swap two letters) forgiven in a word this long.

    Inside a sentence short words are left alone: "come" is not a typo of "cope".
    """
    if in_sentence:
        return 0 if length < 5 else 1 if length <= 7 else 2 if length <= 11 else 3
    return 0 if length < 4 else 1 if length <= 5 else 2 if length <= 9 else 3


# Courtesy and framing words around a keyword: "TRIALS please", "info on hospice".
_FILLER = re.compile(
    r"\b(please|pls|plz|thanks|thank you|thx|ok|okay|info on|info about|tell me about|"
    r"what about|about|more on|on|por favor|porfa|gracias|info de|sobre)\b"
)
_STOPWORDS = frozenset(
    "a an the i im i'm me my is are was be it its of to in on at and or for with do does did "
    "can could would should will this that there what whats how why when who which any some "
    "you your we our have has had am so just really very if".split()
)


def stem(word: str) -> str:
    """A light stemmer: plurals only, so 'studies' -> 'study', 'scans' -> 'scan'."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 4 and word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@dataclass(frozen=True)
class Match:
    topic: str
    score: float
    runner_up: float


class Matcher:
    def __init__(self, content: Content) -> None:
        self._keywords: dict[str, str] = {}
        # The language a keyword is written in (None: the same word in several, like MENU).
        self._keyword_language: dict[str, str | None] = {}
        for version in {id(c): c for c in (content, *content.twins.values())}.values():
            for topic in version.topics.values():
                for kw in topic.keywords:
                    self._add_keyword(kw, topic.id, version.language)
            for kw, service_topic in version.menu_keywords.items():
                self._add_keyword(kw, service_topic, version.language)
        self._keyword_keys = list(self._keywords)

        # Cue index: tuple of stems -> [(topic, weight)].
        self._cues: dict[tuple[str, ...], list[tuple[str, float]]] = {}
        cue_sets = {t.id: t.cues for t in content.topics.values()}
        cue_sets.update(content.service_cues)
        for topic_id, cues in cue_sets.items():
            for cue, weight in cues.items():
                key = tuple(stem(w) for w in words(normalize(cue)))
                if key:
                    self._cues.setdefault(key, []).append((topic_id, weight))
        self._max_len = max((len(k) for k in self._cues), default=1)
        # Fuzzy candidates grouped by first letter: typos keep the first letter, and without
        # this rule "table" would be corrected to "stable".
        self._vocab: dict[str, list[str]] = {}
        for w in sorted({w for key in self._cues for w in key if len(w) >= 4}):
            self._vocab.setdefault(w[0], []).append(w)
        self._vocab_set = frozenset(w for key in self._cues for w in key)
        self._correct = lru_cache(maxsize=20_000)(self._correct_uncached)

    def _add_keyword(self, keyword: str, topic_id: str, language: str) -> None:
        norm = normalize(keyword)
        for key in (norm, norm.replace(" ", "")):
            existing = self._keywords.setdefault(key, topic_id)
            if existing != topic_id:
                raise ValueError(f"keyword {keyword!r} is claimed by {existing} and {topic_id}")
            known = self._keyword_language.setdefault(key, language)
            if known != language:
                self._keyword_language[key] = None

    def keyword_topics(self) -> dict[str, str]:
        """Every normalised keyword and the topic it reaches (for the content lint)."""
        return dict(self._keywords)

    def keyword(self, text: str) -> str | None:
        """The topic when the whole message is a keyword, allowing small typos."""
        hit = self.keyword_hit(text)
        return hit[0] if hit else None

    def keyword_hit(self, text: str) -> tuple[str, str | None] | None:
        """(topic, language of the keyword) when the whole message is a keyword."""
        key = self._keyword_key(text)
        return (self._keywords[key], self._keyword_language[key]) if key else None

    def _keyword_key(self, text: str) -> str | None:
        command = " ".join(_FILLER.sub(" ", normalize(text)).split())
        if not command or len(command) > 30:
            return None
        for candidate in (command, command.replace(" ", "")):
            if candidate in self._keywords:
                return candidate
        limit = max_typos(len(command))
        if not limit:  # too short for typo tolerance to be safe
            return None
        best = process.extractOne(
            command, self._keyword_keys, scorer=OSA.distance, score_cutoff=limit
        )
        return best[0] if best else None

    def _correct_uncached(self, word: str) -> str:
        if word in self._vocab_set or word in _STOPWORDS:
            return word
        candidates = self._vocab.get(word[0], ())
        best = process.extractOne(
            word,
            candidates,
            scorer=OSA.distance,
            score_cutoff=max_typos(len(word), in_sentence=True),
        )
        return best[0] if best else word

    def scores(self, text: str) -> dict[str, float]:
        """Each topic's free-text score: the weights of the cues found in the text."""
        stems = [self._correct(stem(w)) for w in words(normalize(text))]
        totals: dict[str, float] = {}
        for size in range(1, self._max_len + 1):
            for i in range(len(stems) - size + 1):
                for topic_id, weight in self._cues.get(tuple(stems[i : i + size]), ()):
                    totals[topic_id] = totals.get(topic_id, 0.0) + weight
        return totals

    def free_text(self, text: str) -> Match | None:
        """The best topic for a question in plain words, or None when unsure."""
        ranked = sorted(self.scores(text).items(), key=lambda kv: kv[1], reverse=True)
        if not ranked:
            return None
        topic_id, best = ranked[0]
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if best < MIN_SCORE or best - runner_up < MIN_MARGIN:
            return None
        return Match(topic_id, best, runner_up)
