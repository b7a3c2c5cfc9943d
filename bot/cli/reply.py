"""`flask reply`: what the bot would answer a text, without a phone (records nothing)."""

from __future__ import annotations

import json

import click
from flask.cli import with_appcontext

from bot.conversation.inbound import preview
from bot.sms.segments import segment_info


@click.command("reply")
@with_appcontext
@click.option("--from", "from_", default="+15555550100", help="The sender's number (E.164).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--explain", is_flag=True, help="Also say which detector decided, on which words.")
@click.argument("text")
def reply_command(from_: str, as_json: bool, explain: bool, text: str) -> None:
    """Print what FROM would get for TEXT (same pipeline as the webhook; records nothing)."""
    decision = preview(from_, text)
    body = decision.body or ""
    if as_json:
        info = segment_info(body)
        out = {
            "topic": decision.topic,
            "body": body,
            "segments": info.segments,
            "encoding": info.encoding,
            "lang": decision.language,
            "tier": decision.tier,
        }
        if explain:
            out["why"] = decision.why.as_dict()
        click.echo(json.dumps(out))
        return
    click.echo(f"[{decision.topic}] {body or '(no reply)'}")
    if explain:
        why = decision.why
        click.echo(f"why: {why.detector}: {', '.join(why.words) or '-'}")
