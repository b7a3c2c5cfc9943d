"""`flask reply`: the webhook's pipeline from the command line, recording nothing."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from bot.extensions import db
from bot.models import Message, Patient


def test_reply_json_reports_topic_body_segments_and_encoding(runner) -> None:
    result = runner.invoke(args=["reply", "--json", "side efects"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["topic"] == "side_effects"
    assert data["encoding"] == "GSM-7"
    assert data["segments"] == 2
    assert "flu" in data["body"]


def test_reply_json_shows_the_tier(runner) -> None:
    tiers = {}
    for text in ("my lips are swelling", "fever of 101.5", "side efects"):
        result = runner.invoke(args=["reply", "--json", text])
        assert result.exit_code == 0, result.output
        tiers[text] = json.loads(result.output)["tier"]
    assert tiers == {
        "my lips are swelling": "emergency",
        "fever of 101.5": "call_now",
        "side efects": "none",
    }


def test_reply_uses_the_senders_state_and_records_nothing(app, runner) -> None:
    with app.app_context():
        db.session.add(Patient(phone="+16145550177", status="stopped"))
        db.session.commit()
    result = runner.invoke(args=["reply", "--from", "+16145550177", "TRIALS"])
    assert "(no reply)" in result.output  # a stopped number gets silence
    result = runner.invoke(args=["reply", "--from", "+16145550178", "TRIALS"])
    assert "[trials]" in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count(Message.id))) == 0


def test_reply_plain_output_names_the_topic(runner) -> None:
    result = runner.invoke(args=["reply", "I can't breathe"])
    assert result.output.startswith("[urgent]") and "911" in result.output
