"""Questions nobody answered yet: the texts that got "Did you mean" or no answer at all,
grouped by similarity with counts, so content writers add a card where patients ask."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
from flask import render_template, request
from sqlalchemy import or_, select

from bot.conversation.understanding.features import char_block
from bot.extensions import db
from bot.models import INBOUND, Message, utcnow
from bot.staff import bp

DEFAULT_DAYS, MAX_DAYS = 30, 365
MAX_TEXTS = 2000  # the newest ones in the window: the page stays quick
SIMILAR = 0.5  # cosine of character n-grams at which two texts are one question


@dataclass
class Group:
    example: str
    texts: list[str] = field(default_factory=list)
    offered: dict[str, int] = field(default_factory=dict)  # card id -> times offered

    @property
    def count(self) -> int:
        return len(self.texts)


def unanswered(since_days: int) -> list[tuple[str, str | None]]:
    """(body, cards offered) of the texts that got choices or `unknown`, newest first."""
    since = utcnow() - timedelta(days=since_days)
    rows = db.session.execute(
        select(Message.body, Message.cards)
        .where(
            Message.direction == INBOUND,
            Message.created_at >= since,
            or_(Message.cards.like("?%"), Message.topic == "unknown"),
        )
        .order_by(Message.id.desc())
        .limit(MAX_TEXTS)
    )
    return [(body, cards) for body, cards in rows if body and body.strip()]


def group(texts: list[tuple[str, str | None]]) -> list[Group]:
    """Greedy grouping: a text joins the first group whose first text is similar enough.
    Deterministic (newest first), biggest groups first."""
    if not texts:
        return []
    from sklearn.feature_extraction.text import TfidfVectorizer  # loaded when the page is

    vectors = TfidfVectorizer(analyzer=char_block, sublinear_tf=True).fit_transform(
        [body for body, _ in texts]
    )
    groups: list[Group] = []
    heads: list[int] = []
    for i, (body, cards) in enumerate(texts):
        sims = (vectors[heads] @ vectors[i].T).toarray().ravel() if heads else np.zeros(0)
        at = int(np.argmax(sims)) if len(sims) and sims.max() >= SIMILAR else None
        if at is None:
            groups.append(Group(body))
            heads.append(i)
            at = len(groups) - 1
        groups[at].texts.append(body)
        for card in (cards or "").lstrip("?").split(","):
            if card:
                groups[at].offered[card] = groups[at].offered.get(card, 0) + 1
    return sorted(groups, key=lambda g: -g.count)


def _days() -> int:
    try:
        days = int(request.args.get("days", DEFAULT_DAYS))
    except ValueError:
        return DEFAULT_DAYS
    return min(max(days, 1), MAX_DAYS)


@bp.get("/questions")
def questions() -> str:
    days = _days()
    texts = unanswered(days)
    return render_template("staff/questions.html", groups=group(texts), days=days, total=len(texts))
