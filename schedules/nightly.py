"""The clock's nightly jobs, once per local day after NIGHTLY_LOCAL_TIME (in the clinic's
DEFAULT_TIMEZONE): blank message bodies past RETENTION_DAYS, then back up the database
into BACKUP_DIR (when set) and keep the newest BACKUP_KEEP.

Each run is remembered in `clock_ticks` ("nightly"; a successful backup also writes
"backup", which /metrics reports), so a restarted clock does not run it twice a day.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path

from flask import current_app
from sqlalchemy.exc import IntegrityError

from bot.backup import BackupError, create_backup, nightly_name, prune, suffix_for
from bot.extensions import db, unique_violation
from bot.logs import log_event
from bot.models import ClockTick
from bot.retention import blank_old_bodies
from bot.timeutil import to_local

NIGHTLY = "nightly"
BACKUP = "backup"


def is_due(now: datetime, last: datetime | None, config: Mapping) -> bool:
    """After today's NIGHTLY_LOCAL_TIME (clinic time) and not yet run today."""
    tz = config["DEFAULT_TIMEZONE"]
    local = to_local(now, tz)
    hours, minutes = map(int, config["NIGHTLY_LOCAL_TIME"].split(":"))
    if (local.hour, local.minute) < (hours, minutes):
        return False
    return last is None or to_local(last, tz).date() < local.date()


def _mark(name: str, at: datetime, detail: str) -> None:
    row = db.session.get(ClockTick, name)
    if row is None:
        db.session.add(ClockTick(name=name, last_tick_at=at, detail=detail[:200]))
    else:
        row.last_tick_at, row.detail = at, detail[:200]


def _backup(now: datetime) -> str:
    """Tonight's backup file; what happened, for the clock's log."""
    config = current_app.config
    if not config["BACKUP_DIR"]:
        return "off"
    directory = Path(config["BACKUP_DIR"])
    local_day = to_local(now, config["DEFAULT_TIMEZONE"])
    target = directory / nightly_name(local_day, db.engine)
    try:
        if not target.exists():
            create_backup(db.engine, target)
        prune(directory, config["BACKUP_KEEP"], suffix_for(db.engine))
    except (BackupError, OSError) as exc:
        log_event("backup.failed", error=str(exc)[:200])
        return "failed"
    _mark(BACKUP, now, target.name)
    log_event("backup.done", file=target.name)
    return target.name


def run_nightly(now: datetime) -> str | None:
    """Run the nightly jobs when due; what they did (None: not due). Commits."""
    config = current_app.config
    row = db.session.get(ClockTick, NIGHTLY)
    if not is_due(now, row.last_tick_at if row else None, config):
        return None
    blanked = blank_old_bodies(now, config["RETENTION_DAYS"])
    db.session.commit()
    detail = f"blanked={blanked} backup={_backup(now)}"
    _mark(NIGHTLY, now, detail)
    try:
        db.session.commit()
    except IntegrityError as exc:
        db.session.rollback()
        if not unique_violation(exc, "clock_ticks", "name", primary_key=True):
            raise  # not a `--once` run beside the clock writing the first row meanwhile
    log_event("clock.nightly", detail=detail.replace(" ", ","))
    return detail
