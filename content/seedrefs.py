"""Number the sentences of the seed articles, so cards and evaluation sets can cite them.

A reference is `<article id>:<paragraph>.<sentence>` (both from 1), e.g.
`webmd-stops-working:7.2`. Paragraphs are the article's blank-line separated blocks (a list
item is its own paragraph); sentences are split after . ? ! followed by a space and a capital
or a digit. The split is deterministic, so the numbers hold as long as the articles do
(they are frozen in ../shared/seeds). Only `flask content check` reads the articles; the
cards and the evaluation sets carry the references, so the rest of the suite needs no seeds.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import yaml

_SOURCES = Path(__file__).resolve().parent / "sources.yaml"
# After . ? ! (and a closing quote), a space, then what starts a sentence.
# The articles' typographic quotes, written as escapes so this file stays plain ASCII.
_SENTENCE_END = re.compile("(?<=[.?!])[\"\u201d\u2019)]?\\s+(?=[A-Z0-9\u201c\"(])")
# A bullet (U+2022) starts a sentence of its own ("* Radiation. This uses ...").
_BULLET = re.compile("\\s*\u2022\\s*")
# Lines that are not facts: headings the articles repeat, bylines, reading times.
_NOT_FACT = re.compile(
    r"^(table of contents:?|\d+ min read|medically reviewed by .*|source:? .*|sources:? .*)$",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Sentence:
    ref: str  # "webmd-stops-working:7.2"
    article: str
    paragraph: int
    text: str
    fact: bool  # False for a title, heading or byline: nothing a card must cover


def seed_files() -> dict[str, str]:
    """Article id -> seed file name, from sources.yaml."""
    data = yaml.safe_load(_SOURCES.read_text(encoding="utf-8"))
    return {article: entry["seed"] for article, entry in data.items()}


def _is_heading(paragraph: str) -> bool:
    # A short line with no sentence end is a heading ("Can cancer spread during ...?" is a
    # question heading: short and alone in its paragraph).
    words = paragraph.split()
    return len(words) <= 12 and not paragraph.rstrip().endswith((".", ":", ";"))


def split_article(article: str, text: str) -> list[Sentence]:
    """Every sentence of one article, numbered."""
    sentences = []
    blocks = [b.strip() for b in re.split(r"\n\s*\n|\n(?=\s*(?:- |\d+\. ))", text)]
    for p, block in enumerate((b for b in blocks if b), start=1):
        flat = " ".join(block.split())
        fact = not (_NOT_FACT.match(flat) or _is_heading(flat))
        pieces = [x for part in _BULLET.split(flat) for x in _SENTENCE_END.split(part) if x]
        for s, piece in enumerate(pieces, start=1):
            sentences.append(Sentence(f"{article}:{p}.{s}", article, p, piece, fact))
    return sentences


def load_sentences(seeds_dir: Path) -> list[Sentence]:
    """All five articles, in sources.yaml order."""
    out: list[Sentence] = []
    for article, name in seed_files().items():
        out += split_article(article, (seeds_dir / name).read_text(encoding="utf-8"))
    return out
