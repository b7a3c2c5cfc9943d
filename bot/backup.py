"""Backups and restores of the whole database: the proof of every consent and opt-out.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot
while the web and clock keep writing. PostgreSQL: `pg_dump -Fc` (a consistent snapshot in
one transaction) and `pg_restore`; the client programs must be installed and at least
the server's major version. A restore goes only into an empty database unless forced,
so a slip of the finger never overwrites a live clinic's records.

The CLI (`flask backup`) and the clock's nightly job call this module.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, inspect, select
from sqlalchemy.engine import URL, Engine, make_url

from bot.extensions import db

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
# Bookkeeping that a restore may overwrite without losing anything of value.
TRANSIENT_TABLES = frozenset({"alembic_version", "rate_limits", "clock_ticks"})
PREFIX = "nextsteps-"


class BackupError(RuntimeError):
    """A backup or restore could not be done; the message says why and what to do."""


def suffix_for(engine: Engine) -> str:
    return ".sqlite3" if engine.dialect.name == "sqlite" else ".pgdump"


def create_backup(engine: Engine, dest: Path) -> Path:
    """Write a consistent copy of the database to `dest` (readable by its owner only).
    Written to a temporary name and renamed, so `dest` is never a half-written file."""
    dest = Path(dest)
    if dest.exists():
        raise BackupError(f"{dest} already exists: choose a new file name")
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.unlink(missing_ok=True)
    os.close(os.open(part, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))  # PHI: owner only
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(_sqlite_path(engine.url), part)
        else:
            _run(["pg_dump", "--format=custom", "--file", str(part)], engine.url)
        os.replace(part, dest)
    finally:
        part.unlink(missing_ok=True)
    return dest


def restore_backup(engine: Engine, src: Path, force: bool = False) -> None:
    """Replace the database's contents with the backup in `src`. Refuses a database
    that holds any record unless `force`. Run `flask db upgrade` afterwards when the
    backup is from an older version."""
    src = Path(src)
    if not src.is_file():
        raise BackupError(f"{src} is not a file")
    _check_format(engine, src)
    if not force and not is_empty(engine):
        raise BackupError(
            "the database is not empty: a restore would replace its records "
            "(use --force to replace them, after taking a backup of it)"
        )
    db.session.remove()
    engine.dispose()  # no pooled connection may hold the old contents open
    if engine.dialect.name == "sqlite":
        _sqlite_restore(src, _sqlite_path(engine.url))
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--no-privileges",
                "--single-transaction",
                "--exit-on-error",
                "--dbname",
                engine.url.database or "",
                str(src),
            ],
            engine.url,
        )
    engine.dispose()


def is_empty(engine: Engine) -> bool:
    """No row in any table that holds records (patients, texts, consent, staff...)."""
    tables = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return not any(
            conn.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables
            if table.name in tables and table.name not in TRANSIENT_TABLES
        )


def prune(directory: Path, keep: int, suffix: str) -> list[Path]:
    """Delete all but the newest `keep` backups (by name: they carry their date)."""
    ours = sorted(p for p in directory.glob(f"{PREFIX}*{suffix}") if p.is_file())
    gone = ours[:-keep] if keep else ours
    for path in gone:
        path.unlink()
    return gone


def nightly_name(local_day: datetime, engine: Engine) -> str:
    return f"{PREFIX}{local_day:%Y-%m-%d}{suffix_for(engine)}"


# -- SQLite -------------------------------------------------------------------------------
def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _sqlite_backup(source: Path, target: Path) -> None:
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)  # one step: a consistent snapshot, writers wait a moment at most
        # One self-contained file (the live database is in WAL mode).
        dst.execute("PRAGMA journal_mode=DELETE")
        if dst.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError("the copy failed SQLite's integrity check")
    finally:
        dst.close()
        src.close()


def _sqlite_restore(backup: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    dst = sqlite3.connect(target, timeout=30)
    try:
        if src.execute("PRAGMA quick_check").fetchone()[0] != "ok":
            raise BackupError(f"{backup} failed SQLite's integrity check: not restored")
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _check_format(engine: Engine, src: Path) -> None:
    with open(src, "rb") as fh:
        head = fh.read(len(SQLITE_MAGIC))
    want, kind = (
        (SQLITE_MAGIC, "a SQLite backup")
        if engine.dialect.name == "sqlite"
        else (PGDUMP_MAGIC, "a pg_dump custom-format archive")
    )
    if not head.startswith(want):
        raise BackupError(f"{src} is not {kind}, which this database ({engine.dialect.name}) needs")


# -- PostgreSQL ---------------------------------------------------------------------------
def _pg_env(url: URL) -> dict[str, str]:
    """libpq settings from the URL, in the environment: the password never appears in
    the process list."""
    url = make_url(url)
    env = dict(os.environ)
    for key, value in (
        ("PGHOST", url.host),
        ("PGPORT", url.port),
        ("PGUSER", url.username),
        ("PGPASSWORD", url.password),
        ("PGDATABASE", url.database),
        ("PGSSLMODE", url.query.get("sslmode")),
    ):
        if value:
            env[key] = str(value)
    return env


def _run(argv: list[str], url: URL) -> None:
    program = shutil.which(argv[0])
    if program is None:
        raise BackupError(
            f"{argv[0]} is not installed: install the PostgreSQL client programs of the "
            "server's major version (Debian/Ubuntu: apt install postgresql-client)"
        )
    done = subprocess.run(
        [program, *argv[1:]], env=_pg_env(url), capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise BackupError(f"{argv[0]} failed ({done.returncode}): {done.stderr.strip()[:500]}")
