"""Logs: one line per event, phone numbers masked to the last 4 digits, no bodies."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from bot.logs import mask_phone
from tests.conftest import Phone
from tests.procs import ROOT


@pytest.fixture
def log_lines():  # noqa: ANN201
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(self.format(record))

    handler = Keep()
    logger = logging.getLogger("nextsteps")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_mask_phone_keeps_only_the_last_four_digits() -> None:
    assert mask_phone("+16145550123") == "***0123"
    assert mask_phone(None) == "-"


def test_inbound_texts_log_one_masked_line_without_the_body(phone: Phone, log_lines) -> None:
    phone.text("I have had bad diarrhea for 3 days")
    phone.text("my secret question about hospice")
    assert len(log_lines) == 2
    for line in log_lines:
        assert "\n" not in line
        assert "***0123" in line and "6145550123" not in line
        assert "diarrhea" not in line and "secret" not in line


def test_contradictory_configuration_stops_start_up_with_a_clear_message(tmp_path) -> None:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TWILIO_ACCOUNT_SID": "AC" + "1" * 32,
        "DATABASE_URL": f"sqlite:///{tmp_path}/x.db",
    }
    env.pop("TWILIO_AUTH_TOKEN", None)
    proc = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "bot", "reply", "TRIALS"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "TWILIO_AUTH_TOKEN" in proc.stderr
