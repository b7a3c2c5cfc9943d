"""Real processes for tests and benchmarks: gunicorn serving the app on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 90.0) -> None:
    """Poll until the server answers; the deadline only bounds start-up (each worker
    trains the classifier and loads the language models), it asserts nothing."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def gunicorn(
    app: str, env: dict[str, str], workers: int = 2, threads: int = 1, port: int | None = None
):
    """Run `gunicorn app` with `workers` processes (on `port`, default a free one); yields
    the base URL and the process."""
    port = port or free_port()
    cmd = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
        # No heartbeat timeout: under faketime (CI's far-future run) the clock and the
        # heartbeat file's times disagree and the arbiter would kill healthy workers.
        "--timeout",
        "0",
        # As in the Procfile: the app (and the classifier it trains) is built once in the
        # master and shared by the forked workers.
        "--preload",
        app,
    ]
    # Each server its own spool unless told: tests running side by side never share one.
    spool = {"SPOOL_DIR": tempfile.mkdtemp(prefix="spool-")}
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **spool, **env}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/healthz")
        yield base, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def clock_env(database_uri: str, fake_url: str, **extra: str) -> dict[str, str]:
    """Environment for a clock process sending through the fake Twilio at `fake_url`."""
    from tests.conftest import ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER

    env = {k: v for k, v in os.environ.items() if not k.startswith(("TWILIO_", "DATABASE_"))}
    env.setdefault("SPOOL_DIR", tempfile.mkdtemp(prefix="spool-"))
    env.update(
        PYTHONPATH=str(ROOT),
        DATABASE_URL=database_uri,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_FROM_NUMBER=FROM_NUMBER,
        TWILIO_API_BASE_URL=fake_url,
        **extra,
    )
    return env
