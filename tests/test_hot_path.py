"""The webhook's hot path: how it uses the database and the disk, not only what it answers.

On SQLite one writer at a time holds the write lock, so the inbound path reads and decides
in a plain (reader's) transaction and takes the lock only to write. On PostgreSQL a commit
is already on disk when it returns, so the spool does not flush the text a second time.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event, make_url

from bot import create_app
from bot.extensions import commits_are_durable, db
from tests.conftest import Phone


def _statements(app: Flask) -> list[str]:
    seen: list[str] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(" ".join(statement.split()[:2]).upper())

    return seen


def test_sqlite_text_is_read_and_decided_before_the_write_lock(
    app: Flask, phone: Phone, database_uri: str
) -> None:
    if make_url(database_uri).get_backend_name() != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL readers never block")
    seen = _statements(app)
    assert "hospice" in phone.text("what is hospice").lower()

    reader = seen.index("BEGIN")
    writer = seen.index("BEGIN IMMEDIATE")
    assert reader < writer
    read_phase = seen[reader + 1 : writer]
    assert any(s.startswith("SELECT") for s in read_phase)
    # Nothing is written while reading: a reader that later writes could find another
    # worker's commit in between and fail (SQLITE_BUSY_SNAPSHOT) instead of waiting.
    assert not [s for s in read_phase if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert [s.split()[0] for s in seen[writer + 1 :]].count("INSERT") == 2  # text + reply


def test_commit_durability_is_asked_of_the_database(app_config: dict, database_uri: str) -> None:
    url = make_url(database_uri)
    app = create_app(app_config)
    with app.test_request_context():
        assert commits_are_durable() is (url.get_backend_name() == "postgresql")
    if url.get_backend_name() != "postgresql":
        return
    # An operator who turned synchronous_commit off gets the spool's own flush back.
    relaxed = url.update_query_dict({"options": "-c synchronous_commit=off"})
    app = create_app({**app_config, "SQLALCHEMY_DATABASE_URI": relaxed.render_as_string(False)})
    with app.test_request_context():
        assert commits_are_durable() is False
