"""deploy/: the systemd units pass `systemd-analyze verify`, rendered with this machine's
real paths (verify checks that every ExecStart program exists and is executable, so the
units are checked against the programs they will run, not against /opt paths that
happen to be missing here)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
UNITS = sorted((ROOT / "deploy" / "systemd").glob("*.service"))
INSTALL_DIR = "/opt/nextsteps"


def _analyze() -> str:
    tool = shutil.which("systemd-analyze")
    if tool:
        return tool
    if os.environ.get("CI"):
        pytest.fail("CI is set but systemd-analyze is missing: .ci/run must install systemd")
    pytest.skip("systemd-analyze is not installed (apt-get install -y systemd)")


def _program(name: str) -> str:
    """The program the unit runs, as installed with this interpreter."""
    if name == "python":
        return sys.executable
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    assert found, f"{name} is not installed: the unit could not start"
    return found


def _render(unit: Path, into: Path) -> Path:
    text = unit.read_text()
    for name in ("gunicorn", "flask", "python"):
        text = text.replace(f"{INSTALL_DIR}/venv/bin/{name}", _program(name))
    target = into / unit.name
    target.write_text(text.replace(INSTALL_DIR, str(ROOT)))
    return target


def _verify(paths: list[Path]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [_analyze(), "verify", "--man=no", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_there_is_a_unit_for_web_and_clock() -> None:
    assert [u.name for u in UNITS] == ["nextsteps-clock.service", "nextsteps-web.service"]
    web = (ROOT / "deploy/systemd/nextsteps-web.service").read_text()
    assert "bot:create_app()" in web and "db upgrade" in web
    assert "-m schedules" in (ROOT / "deploy/systemd/nextsteps-clock.service").read_text()


def test_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    done = _verify([_render(u, tmp_path) for u in UNITS])
    ours = [line for line in done.stderr.splitlines() if "nextsteps-" in line]
    assert done.returncode == 0 and ours == [], done.stderr


def test_verify_would_catch_a_broken_unit(tmp_path: Path) -> None:
    """The check can fail: a program that does not exist, or a misspelt setting."""
    broken = _render(UNITS[0], tmp_path)
    broken.write_text(broken.read_text().replace(sys.executable, "/nonexistent/python"))
    assert _verify([broken]).returncode != 0
    typo = _render(UNITS[1], tmp_path)
    typo.write_text(typo.read_text().replace("Restart=", "Restrat="))
    assert "Restrat" in _verify([typo]).stderr
