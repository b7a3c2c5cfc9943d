"""What the classifier sees of a text: character n-grams, words, word pairs, emoji.

One analyzer, used both to train (through scikit-learn's TfidfVectorizer) and to score a
single text on the hot path, so the two can never drift apart.
"""

from __future__ import annotations

import re
import unicodedata

from bot.conversation.text import normalize

_REPEATS = re.compile(r"(\w)\1{2,}")  # "pleeeease" -> "pleease", "nooo" -> "noo"
_CHAR_N = (2, 5)


def clean(text: str) -> str:
    """Normalised text without apostrophes (cant = can't) and with long repeats cut."""
    return _REPEATS.sub(r"\1\1", normalize(text).replace("'", ""))


def emoji_tokens(text: str) -> list[str]:
    """A token per pictograph ("emoji thumbs up sign"): normalize() drops them, and a
    thumbs-up alone is an answer."""
    return [
        "emoji " + unicodedata.name(ch, "symbol").lower()
        for ch in text
        if unicodedata.category(ch) == "So"
    ]


def word_char_ngrams(word: str) -> list[str]:
    """Character 2-5-grams of one word, padded with spaces (scikit-learn's char_wb)."""
    padded = f" {word} "
    low, high = _CHAR_N
    return [
        padded[i : i + n]
        for n in range(low, min(high, len(padded)) + 1)
        for i in range(len(padded) - n + 1)
    ]


def char_ngrams(cleaned: str) -> list[str]:
    """Character n-grams inside word boundaries: robust to typos and missing accents."""
    return [gram for word in cleaned.split() for gram in word_char_ngrams(word)]


# After one of these, the next few words are marked as negated ("no chest pain today" is
# not "chest pain"), so the model can learn the difference from the hard negatives.
_NEGATORS = frozenset(
    "no not dont never without cant isnt doesnt havent hasnt wont nunca sin ni nada".split()
)
_NEGATION_SPAN = 3


def word_features(cleaned: str) -> list[str]:
    """Words and word pairs: "stop texting" means more than "stop" and "texting"."""
    tokens = cleaned.split()
    marked, left = [], 0
    for token in tokens:
        marked.append(("not " if left else "") + token)
        left = _NEGATION_SPAN if token in _NEGATORS else max(0, left - 1)
    pairs = [f"w:{a} {b}" for a, b in zip(tokens, tokens[1:], strict=False)]
    return ["w:" + t for t in marked] + pairs


def char_block(text: str) -> list[str]:
    return char_ngrams(clean(text))


def word_block(text: str) -> list[str]:
    return word_features(clean(text)) + emoji_tokens(text)


# Each block is weighted and normalised on its own, so the few words of a text count as
# much as its many character pieces.
BLOCKS = (char_block, word_block)
