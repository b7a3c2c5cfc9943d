"""Rate-limit counters in the app's own database, for Flask-Limiter (`database://`).

Every gunicorn worker, on one machine or several, shares the database, so a counter kept
there is shared too; no Redis needed. This is a `limits` storage for the fixed-window
strategy only: `incr` is one atomic upsert (INSERT ... ON CONFLICT DO UPDATE ... RETURNING,
on SQLite and PostgreSQL alike), so two workers counting the same key at once both count.

Keys are stored as SHA-256 digests: the table never holds an address or an email in clear.
Expiry is wall-clock seconds (`time.time()`), like limits' own memory storage.

The storage uses the current app's engine on a connection of its own, committed at once.
Flask-Limiter checks before the view touches `db.session`, so on SQLite (one writer at a
time) this short write never waits behind the request's own transaction.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from flask import current_app
from limits.storage import Storage
from sqlalchemy import Engine, case, delete, select
from sqlalchemy.exc import SQLAlchemyError

from bot.extensions import db
from bot.models import RateLimitCounter

SCHEME = "database"
_T = RateLimitCounter.__table__


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _upsert(dialect: str) -> Callable[..., Any]:
    """The dialect's `insert` (it has on_conflict_do_update), PostgreSQL or SQLite."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


class DatabaseStorage(Storage):
    """`database://`: fixed-window counters in the `rate_limits` table."""

    STORAGE_SCHEME = [SCHEME]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **_: object):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    @staticmethod
    def _engine() -> Engine:
        current_app._get_current_object()  # needs an app context: fail clearly without one
        return db.engine

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Add `amount`; a missing or expired window starts again at `amount`."""
        now = time.time()
        engine = self._engine()
        insert = _upsert(engine.dialect.name)
        stmt = insert(_T).values(key=_digest(key), count=amount, expires_at=now + expiry)
        expired = _T.c.expires_at <= now
        stmt = stmt.on_conflict_do_update(
            index_elements=[_T.c.key],
            set_={
                "count": case((expired, amount), else_=_T.c.count + amount),
                "expires_at": case((expired, now + expiry), else_=_T.c.expires_at),
            },
        ).returning(_T.c.count)
        with engine.begin() as conn:
            count = conn.execute(stmt).scalar_one()
            # Old windows go as new ones come: the table stays as small as the traffic.
            conn.execute(delete(_T).where(_T.c.expires_at < now - 3600))
        return int(count)

    def _row(self, key: str) -> tuple[int, float] | None:
        query = select(_T.c.count, _T.c.expires_at).where(
            _T.c.key == _digest(key), _T.c.expires_at > time.time()
        )
        with self._engine().connect() as conn:
            row = conn.execute(query).first()
        return (int(row.count), float(row.expires_at)) if row else None

    def get(self, key: str) -> int:
        row = self._row(key)
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._row(key)
        return row[1] if row else time.time()

    def check(self) -> bool:
        try:
            with self._engine().connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        with self._engine().begin() as conn:
            return conn.execute(delete(_T)).rowcount

    def clear(self, key: str) -> None:
        with self._engine().begin() as conn:
            conn.execute(delete(_T).where(_T.c.key == _digest(key)))
