"""The README's quick start and walkthrough, run as written, each command its own process
(issue 22). Two changes only: `pip install` is left out (the suite runs installed), and
the long-running `honcho start web clock` becomes one clock pass and one request."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

import pytest

from tests.procs import gunicorn

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _block(name: str) -> list[str]:
    """The commands of the ```sh block after `<!-- first-run: NAME ... -->`."""
    found = re.search(rf"<!-- first-run: {name}\b.*?-->\s*```sh\n(.*?)```", README, re.S)
    assert found, f"README.md has no first-run block {name!r}"
    return [line for line in found.group(1).splitlines() if line.strip()]


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DATABASE_"))}
    env.pop("FLASK_ENV", None)
    bin_dir = str(Path(sys.executable).parent)  # the suite's flask and python
    return {
        **env,
        "PATH": bin_dir + os.pathsep + env.get("PATH", ""),
        "DATABASE_URL": f"sqlite:///{tmp / 'nextsteps.sqlite3'}",
        "SPOOL_DIR": str(tmp / "spool"),
    }


def _run(command: str, env: dict[str, str]) -> str:
    done = subprocess.run(
        ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _quick_start(line: str) -> list[str]:
    assert line.startswith("pip install -e . && ") and line.endswith(" && honcho start web clock")
    return [line.removeprefix("pip install -e . && ").removesuffix(" && honcho start web clock")]


@pytest.mark.slow
def test_readme_first_run_as_written() -> None:
    tmp = Path(tempfile.mkdtemp(prefix="first-run-"))
    env = _env(tmp)
    (quick,) = _block("quick-start")
    for command in _quick_start(quick):
        _run(command, env)
    assert "tick done" in _run("python -m schedules --once", env)  # honcho's clock, once
    outputs = [_run(command, env) for command in _block("walkthrough")]
    enrolled, yes, preview, rehearsal, confirmed = outputs
    assert "[console sms] to ***0123" in enrolled and "opt-in text sent" in enrolled
    assert "reply: You're in!" in yes
    assert "planned" in preview and "7 day(s) before" in preview
    assert "rehearsal done" in rehearsal and "sent=1" in rehearsal
    printed = r"\[console sms\] to \*\*\*0123 \(SM[0-9a-f]{32}\): NextSteps: CT scan"
    assert re.search(printed, rehearsal)
    assert "reply:" in confirmed and "confirm" in confirmed.lower()
    # Two more enrolments, each its own process: the console's ids never collide.
    for number in ("+16145550124", "+16145550125"):
        assert "opt-in text sent" in _run(f"flask --app bot patients enroll {number}", env)
    with gunicorn("bot:create_web_app()", env, workers=1) as (base, _):  # honcho's web, once
        health = json.loads(urllib.request.urlopen(base + "/healthz", timeout=10).read())
    assert health["clock_last_tick_age_seconds"] >= 0  # the rehearsal left no future tick


@pytest.mark.slow
def test_a_command_before_db_upgrade_says_to_run_it() -> None:
    env = _env(Path(tempfile.mkdtemp(prefix="no-schema-")))
    for command in ("flask --app bot patients enroll +16145550123", "python -m schedules --once"):
        done = subprocess.run(
            ["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert done.returncode != 0
        assert "run `flask --app bot db upgrade` first" in done.stderr
        assert "Traceback" not in done.stderr


def test_sms_receive_takes_the_webhooks_path(app, runner) -> None:
    from sqlalchemy import select

    from bot.extensions import db
    from bot.models import INBOUND, Message

    out = runner.invoke(args=["sms", "receive", "+16145550123", "HOSPICE"])
    assert out.exit_code == 0, out.output
    assert re.search(r"received from \*\*\*0123 \(SM[0-9a-f]{32}\)", out.output)
    assert "reply: " in out.output and "(none)" not in out.output
    with app.app_context():
        (stored,) = db.session.scalars(select(Message).where(Message.direction == INBOUND)).all()
        assert stored.body == "HOSPICE" and stored.topic == "hospice"
    app.config["PRODUCTION"] = True
    refused = runner.invoke(args=["sms", "receive", "+16145550123", "YES"])
    assert refused.exit_code == 1 and "refused in production" in refused.output
