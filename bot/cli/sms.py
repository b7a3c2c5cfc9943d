"""`flask sms receive`: play a text as if Twilio had delivered it, without a phone.

Unlike `flask reply` (a preview that records nothing), this takes the webhook's own path:
the text is spooled, stored, answered and its consent words (YES, STOP) take effect. So a
newcomer can play a whole conversation on the console transport. Refused in production,
where it would put words in a real patient's mouth.
"""

from __future__ import annotations

import uuid
from xml.etree import ElementTree

import click
from flask import current_app
from flask.cli import with_appcontext

from bot.logs import mask_phone
from bot.sms.webhook import receive

# Twilio's form fields for an inbound SMS (tests/data/twilio has a real one).
_FIXED = {"NumMedia": "0", "NumSegments": "1", "SmsStatus": "received", "ApiVersion": "2010-04-01"}


@click.group("sms")
def sms_cli() -> None:
    """Play texts by hand (development)."""


@sms_cli.command("receive")
@with_appcontext
@click.argument("phone")
@click.argument("body")
def receive_command(phone: str, body: str) -> None:
    """Take BODY as a text from PHONE, as if Twilio had delivered it; print the reply."""
    config = current_app.config
    if config["PRODUCTION"]:
        raise click.ClickException("sms receive is for development: refused in production")
    sid = "SM" + uuid.uuid4().hex  # Twilio's shape; unique, so it is never taken for a retry
    form = {
        **_FIXED,
        "MessageSid": sid,
        "SmsSid": sid,
        "AccountSid": config["TWILIO_ACCOUNT_SID"] or "AC" + "0" * 32,
        "From": phone,
        "To": config["TWILIO_FROM_NUMBER"] or "",
        "Body": body,
    }
    with current_app.test_request_context("/sms", method="POST", data=form):
        response = receive()
    if response.status_code != 200:
        raise click.ClickException(response.get_data(as_text=True).strip())
    click.echo(f"received from {mask_phone(phone)} ({sid})")
    message = ElementTree.fromstring(response.get_data()).find("Message")
    reply = message.text if message is not None else None
    click.echo(f"reply: {reply}" if reply else "reply: (none)")
