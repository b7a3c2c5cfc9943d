"""The pipeline's card steps: a card for a question, a digit that picks an offered card,
and MORE after a card. Called by `pipeline.Pipeline` after compliance, consent, red flags,
an answer to a reminder and the open check-in, so nothing here can change those.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.conversation import pipeline as pl
from bot.conversation.text import normalize
from bot.sms.segments import segment_info
from content.cards import Card

if TYPE_CHECKING:
    from bot.conversation.pipeline import Context, Decision, Pipeline, Why

MAX_SEGMENTS = 2
# What a patient types to pick an offered card.
_DIGITS = {"1": 0, "2": 1, "3": 2}


def _given(card: Card, ctx: Context, why: Why, topic: str | None = None) -> Decision:
    return pl.Decision(
        topic or card.topic,
        card.answer[ctx.language or pl.DEFAULT_LANGUAGE],
        detail=card.id,
        why=why,
        cards=(card.id,),
    )


def for_text(
    p: Pipeline,
    text: str,
    ctx: Context,
    topic: str | None,
    why: Why,
    strict: bool = True,
    offer: bool = True,
) -> Decision | None:
    """The card for a question (within the classifier's topic when it is sure), "Did you
    mean 1, 2, 3?" when unsure (and `offer`), None when no card is close (the caller
    falls back)."""
    if normalize(text) in _DIGITS:  # a digit with nothing on offer asks no question
        return None
    pick = p.cards.choose(text, topic, strict)
    if pick.card:
        return _given(pick.card, ctx, pl.Why("card", (pick.card.id,), round(pick.score, 3)))
    if not pick.choices or not offer:
        return None
    lang = ctx.language or pl.DEFAULT_LANGUAGE
    listed = ", ".join(f"{i} {card.label[lang]}" for i, card in enumerate(pick.choices, 1))
    body = p.render("did_you_mean", lang, choices=listed)
    flag = None if topic else (pl.FLAG_UNANSWERED if pl._looks_like_question(text) else None)
    return pl.Decision(
        topic or "unknown",
        body,
        flag=flag,
        why=pl.Why("card choices", tuple(c.id for c in pick.choices), round(pick.score, 3)),
        cards=tuple(card.id for card in pick.choices),
        offered=True,
    )


def picked(p: Pipeline, text: str, ctx: Context) -> Decision | None:
    """1, 2 or 3 right after we offered cards: that card."""
    at = _DIGITS.get(normalize(text)) if ctx.choices else None
    if at is None or at >= len(ctx.choices) or ctx.choices[at] not in p.cards.by_id:
        return None
    return _given(p.cards.by_id[ctx.choices[at]], ctx, pl.Why("card picked", (text.strip(),)))


def more(p: Pipeline, ctx: Context, why: Why) -> Decision:
    """MORE after a card: the next card of its topic, in file order; then no more."""
    card = p.cards.next_after(ctx.last_card or "")
    if card is None:
        return pl.Decision("more", p.render("more_done", ctx.language), why=why)
    return _given(card, ctx, why, topic="more")


def overview(p: Pipeline, topic: str, lang: str | None) -> str:
    """A topic's overview, ending with three (else two) of its cards' labels as questions
    to ask, when they fit in 2 segments (else the overview alone: see README, Answers)."""
    body = p.content.in_language(lang).topics[topic].body
    labels = [c.label[lang or pl.DEFAULT_LANGUAGE] for c in p.cards.first_of(topic, 3)]
    for n in (3, 2):
        if len(labels) < n:
            continue
        examples = p.render("examples", lang, examples="? ".join(labels[:n]) + "?")
        if segment_info(f"{body} {examples}").segments <= MAX_SEGMENTS:
            return f"{body} {examples}"
    return body
