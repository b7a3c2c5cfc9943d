"""Which language a text is in, English or Spanish, and the words that switch it.

lingua, restricted to the two languages we write in, so a short Spanish text is never
taken for Portuguese. Below MIN_CONFIDENCE (one or two words, mixed Spanglish) the text
says nothing and the patient's remembered language stands.
"""

from __future__ import annotations

from functools import lru_cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder

from bot.conversation.text import normalize

MIN_CONFIDENCE = 0.75
MIN_CONFIDENCE_ONE_WORD = 0.95  # "gracias" is clearly Spanish; "si" or "ok" could be either
# A short text is answered in its language but does not change the patient's ("ok thanks"
# from a Spanish speaker); a sentence does.
MIN_WORDS_TO_REMEMBER = 3
_CODES = {Language.ENGLISH: "en", Language.SPANISH: "es"}
# Texting one of these switches the patient's language.
SWITCH_WORDS = {
    "es": frozenset({"espanol", "spanish", "en espanol", "castellano"}),
    "en": frozenset({"english", "ingles", "en ingles", "in english"}),
}


@lru_cache(maxsize=1)
def _detector() -> LanguageDetector:
    # Low-accuracy mode (trigram models): 25 MB instead of about 130 MB per worker, and on
    # the corpus it agrees with the full models on 96 % of texts (most of the rest are
    # texts one mode calls too short to judge), flipping 8 of 4,600.
    builder = LanguageDetectorBuilder.from_languages(*_CODES).with_low_accuracy_mode()
    return builder.with_preloaded_language_models().build()


def detect(text: str) -> str | None:
    """'en' or 'es' when the text clearly is one, else None."""
    words = len(normalize(text).split())
    if not words:
        return None
    best = _detector().compute_language_confidence_values(text)[0]
    needed = MIN_CONFIDENCE if words > 1 else MIN_CONFIDENCE_ONE_WORD
    return _CODES[best.language] if best.value >= needed else None


def switch(text: str) -> str | None:
    """The language a text like ESPANOL or ENGLISH asks for, else None."""
    command = normalize(text)
    return next((lang for lang, words in SWITCH_WORDS.items() if command in words), None)


def warm_up() -> None:
    """Load the language models at start-up, not on a patient's first text."""
    _detector()
