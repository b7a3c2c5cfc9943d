"""Every answer card, read-only: what the bot can answer, in both languages, and from
which article (the cards are edited in content/cards/*.yaml, reviewed like all content)."""

from __future__ import annotations

from flask import render_template

from bot.conversation.inbound import get_pipeline
from bot.staff import bp


@bp.get("/answers")
def answers() -> str:
    content = get_pipeline().content
    return render_template("staff/answers.html", cards=content.cards.cards, sources=content.sources)
