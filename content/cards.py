"""Answer cards: one short answer per question a patient could ask of the seed articles.

`cards/<article>.yaml` holds a top-level `cards:` list and a `not_facts:` map (article
sentences that carry no fact, with the reason). Each card: id, topic (a TOPIC_IDS id),
source (a sources.yaml id), uses (the article sentences it says, `<article>:<p>.<s>`,
see seedrefs.py), label and answer in every language, and `ask`: phrasings it answers,
per language. The order of a topic's cards across the files is the order MORE follows.
`cards/asked/*.tsv` add more phrasings (`card_id<TAB>lang<TAB>text`, `#` comments), written
by hand apart from every evaluation set: the cards stay readable, the phrasings can grow.
A broken card stops start-up with a ContentError naming the file and the card.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from pathlib import Path

import yaml

from content import yamlio

# A sentence reference: "webmd-stops-working:7.2".
REF = re.compile(r"^[a-z0-9-]+:\d+\.\d+$")
LABEL_MAX = 32  # three labels and the question fit one "Did you mean" text


class CardError(ValueError):
    """A card file is missing, malformed or inconsistent (the loader re-raises it as a
    ContentError)."""


@dataclass(frozen=True)
class Card:
    id: str
    topic: str
    source: str
    uses: tuple[str, ...]
    label: dict[str, str]  # language -> label
    answer: dict[str, str]  # language -> answer
    ask: dict[str, tuple[str, ...]]  # language -> phrasings
    path: str


@dataclass(frozen=True)
class CardSet:
    cards: tuple[Card, ...]
    not_facts: dict[str, str]  # sentence ref -> why it is not a fact

    def by_id(self) -> dict[str, Card]:
        return {card.id: card for card in self.cards}


def _words(data: dict, key: str, where: str, languages: tuple[str, ...]) -> dict[str, str]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise CardError(f"{where}: '{key}' must give the text in {', '.join(languages)}")
    out = {}
    for lang in languages:
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip():
            raise CardError(f"{where}: '{key}' has no {lang} text")
        out[lang] = " ".join(text.split())
    return out


def _phrasings(data: dict, where: str, languages: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    ask = data.get("ask")
    if not isinstance(ask, dict):
        raise CardError(f"{where}: 'ask' must list phrasings for {', '.join(languages)}")
    out = {}
    for lang in languages:
        lines = ask.get(lang)
        if not isinstance(lines, list) or not lines or not all(isinstance(x, str) for x in lines):
            raise CardError(f"{where}: 'ask' must list {lang} phrasings (strings)")
        out[lang] = tuple(" ".join(x.split()) for x in lines)
    return out


def _card(data: object, path: Path, known: dict[str, set[str]], languages) -> Card:
    if not isinstance(data, dict) or not isinstance(data.get("id"), str):
        raise CardError(f"{path.name}: every card must be a mapping with an 'id'")
    where = f"{path.name}, card '{data['id']}'"
    topic, source = data.get("topic"), data.get("source")
    if topic not in known["topics"]:
        raise CardError(f"{where}: unknown topic {topic!r}")
    if not source:
        raise CardError(f"{where}: no source")
    if source not in known["sources"]:
        raise CardError(f"{where}: unknown source {source!r} (not in sources.yaml)")
    uses = data.get("uses")
    if not isinstance(uses, list) or not uses or not all(REF.match(str(u)) for u in uses):
        raise CardError(f"{where}: 'uses' must list sentence refs like 'article:3.1'")
    label = _words(data, "label", where, languages)
    long = [lang for lang, text in label.items() if len(text) > LABEL_MAX]
    if long:
        raise CardError(f"{where}: label over {LABEL_MAX} characters ({', '.join(long)})")
    return Card(
        id=data["id"],
        topic=topic,
        source=source,
        uses=tuple(str(u) for u in uses),
        label=label,
        answer=_words(data, "answer", where, languages),
        ask=_phrasings(data, where, languages),
        path=str(path),
    )


def load_cards(
    directory: Path, topics: set[str], sources: set[str], languages: tuple[str, ...]
) -> CardSet:
    """Every card of `directory/cards/*.yaml` (files in name order), validated."""
    cards: list[Card] = []
    not_facts: dict[str, str] = {}
    known = {"topics": topics, "sources": sources}
    for path in sorted((directory / "cards").glob("*.yaml")):
        try:
            raw = yamlio.load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as exc:
            raise CardError(f"{path.name}: not valid YAML ({exc})") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("cards"), list):
            raise CardError(f"{path.name}: must have a top-level 'cards:' list")
        cards += [_card(data, path, known, languages) for data in raw["cards"]]
        not_facts.update({str(k): str(v) for k, v in (raw.get("not_facts") or {}).items()})
    seen: set[str] = set()
    for card in cards:
        if card.id in seen:
            raise CardError(f"{Path(card.path).name}: card id '{card.id}' is used twice")
        seen.add(card.id)
    return CardSet(tuple(_with_asked(cards, directory / "cards" / "asked", languages)), not_facts)


def _asked(directory: Path, ids: set[str], languages) -> dict[tuple[str, str], list[str]]:
    """(card id, language) -> the extra phrasings of `directory/*.tsv`, validated."""
    out: dict[tuple[str, str], list[str]] = {}
    for path in sorted(directory.glob("*.tsv")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = line.split("\t")
            where = f"asked/{path.name}:{n}"
            if len(parts) != 3 or not parts[2].strip():
                raise CardError(f"{where}: expected card_id<TAB>lang<TAB>text")
            card_id, lang, text = parts
            if card_id not in ids:
                raise CardError(f"{where}: no card '{card_id}'")
            if lang not in languages:
                raise CardError(f"{where}: unknown language {lang!r}")
            out.setdefault((card_id, lang), []).append(" ".join(text.split()))
    return out


def _with_asked(cards: list[Card], directory: Path, languages) -> list[Card]:
    extra = _asked(directory, {card.id for card in cards}, languages)
    if not extra:
        return cards
    out = []
    for card in cards:
        ask = {
            lang: tuple(dict.fromkeys((*lines, *extra.get((card.id, lang), ()))))
            for lang, lines in card.ask.items()
        }
        out.append(replace(card, ask=ask))
    return out
