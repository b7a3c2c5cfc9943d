"""Which clock process leads: exactly one plans and dispatches, so the messages-per-second
limit (one Pacer) holds however many clocks run.

PostgreSQL: a session-level advisory lock held on a dedicated connection (its own engine,
no pool, autocommit so the session never sits idle in a transaction). The server drops
the lock with the connection: a leader killed with -9 loses it as soon as the server sees
the socket close, and a standby, which tries at every tick, takes over at its next tick.
The leader checks its connection at every tick and steps down if it is gone.

SQLite has no server to hold a lock for a dead process, and one database file means one
machine: an exclusive lock (flock) on a file next to the database, taken at start. The
kernel releases it when the process dies, however it dies. A second clock refuses to
start with `ClockAlreadyRunning`.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import Protocol

from sqlalchemy import URL, Connection, create_engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool

from bot.logs import log_event

# pg_try_advisory_lock(bigint): one key for "the clock" (advisory locks are per database).
CLOCK_LOCK_KEY = 0x4E535F636C6F636B  # "NS_clock"
# A leader cut off by the network (not killed) notices within about 30 s, and so does the
# server, which then frees the lock for a standby.
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5}


class ClockAlreadyRunning(RuntimeError):
    """Another clock process holds this SQLite database's clock lock."""


class Leadership(Protocol):
    def lead(self) -> bool:
        """True when this process leads now (it may take over here); call at every tick."""
        ...

    def release(self) -> None:
        """Give up leadership (at shutdown)."""
        ...


class AdvisoryLock:
    """PostgreSQL: leader while a dedicated connection holds the advisory lock."""

    def __init__(self, url: URL, worker: str) -> None:
        self.worker = worker
        self._engine = create_engine(
            url,
            poolclass=NullPool,
            isolation_level="AUTOCOMMIT",
            connect_args={**_KEEPALIVES, "application_name": "nextsteps-clock"},
        )
        self._conn: Connection | None = None

    def lead(self) -> bool:
        if self._conn is not None:
            if self._alive():
                return True
            self._drop()
            log_event("clock.leadership_lost", worker=self.worker)
        return self._try_take()

    def _alive(self) -> bool:
        try:
            return self._conn.scalar(text("SELECT 1")) == 1
        except SQLAlchemyError:
            return False

    def _try_take(self) -> bool:
        try:
            conn = self._engine.connect()
        except SQLAlchemyError as exc:
            log_event("clock.election_error", worker=self.worker, error=type(exc).__name__)
            return False
        try:
            taken = conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": CLOCK_LOCK_KEY})
        except SQLAlchemyError as exc:
            log_event("clock.election_error", worker=self.worker, error=type(exc).__name__)
            taken = False
        if not taken:
            conn.close()
            return False
        self._conn = conn
        log_event("clock.leader", worker=self.worker)
        return True

    def _drop(self) -> None:
        conn, self._conn = self._conn, None
        try:
            conn.close()
        except SQLAlchemyError:
            conn.invalidate()

    def release(self) -> None:
        if self._conn is not None:
            self._drop()  # closing the session frees the lock
        self._engine.dispose()


class LockFile:
    """SQLite: leader for life once the lock file next to the database is ours."""

    def __init__(self, path: Path, worker: str) -> None:
        self.path, self.worker = path, worker
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 100).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ClockAlreadyRunning(
                f"another clock ({holder}) is running on this SQLite database (lock file "
                f"{self.path}). Run exactly one clock per SQLite database; for a standby "
                "clock that takes over, use PostgreSQL."
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{self.worker}\n".encode())
        self._fd = fd
        log_event("clock.leader", worker=self.worker, lock=self.path.name)

    def lead(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None


class Always:
    """An in-memory SQLite database: no other process can share it."""

    def lead(self) -> bool:
        return True

    def release(self) -> None:
        pass


def leadership_for(url: URL, worker: str) -> Leadership:
    """The election that fits this database; on SQLite the lock is taken here (it raises
    ClockAlreadyRunning when another clock has it)."""
    if url.get_backend_name() == "postgresql":
        return AdvisoryLock(url, worker)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        lock = LockFile(
            Path(url.database).with_name(Path(url.database).name + ".clock.lock"), worker
        )
        lock.acquire()
        return lock
    return Always()
