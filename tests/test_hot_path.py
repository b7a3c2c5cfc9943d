"""The webhook's hot path: how it uses the database and the disk, not only what it answers.

On SQLite one writer at a time holds the write lock, so the inbound path reads and decides
in a plain (reader's) transaction and takes the lock only to write. On PostgreSQL a commit
is already on disk when it returns, so the spool does not flush the text a second time.
"""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import event, make_url, select

from bot import create_app
from bot.extensions import commits_are_durable, db
from bot.models import Message
from tests.conftest import Phone


def _statements(app: Flask) -> list[tuple[str, bool]]:
    """Each statement the app sends from now on: its first two words, and whether it ran
    outside a transaction (autocommit)."""
    seen: list[tuple[str, bool]] = []
    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "before_cursor_execute")
    def _seen(conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        dbapi = conn.connection.dbapi_connection
        alone = dbapi.autocommit if hasattr(dbapi, "autocommit") else not dbapi.in_transaction
        seen.append((" ".join(statement.split()[:2]).upper(), bool(alone)))

    return seen


def _backend(database_uri: str) -> str:
    return make_url(database_uri).get_backend_name()


def test_sqlite_text_is_read_and_decided_before_the_write_lock(
    app: Flask, phone: Phone, database_uri: str
) -> None:
    if _backend(database_uri) != "sqlite":
        pytest.skip("SQLite's write lock; PostgreSQL readers never block")
    statements = _statements(app)
    assert "hospice" in phone.text("what is hospice").lower()

    seen = [s for s, _ in statements]
    writer = seen.index("BEGIN IMMEDIATE")
    read_phase = seen[:writer]
    assert any(s.startswith("SELECT") for s in read_phase)
    # The reads hold no transaction at all: no lock, and no snapshot that another worker's
    # commit could make stale before we write (SQLITE_BUSY_SNAPSHOT).
    assert "BEGIN" not in read_phase
    assert not [s for s in read_phase if s.split()[0] in ("INSERT", "UPDATE", "DELETE")]
    assert [s.split()[0] for s in seen[writer + 1 :]].count("INSERT") == 2  # text + reply


def test_postgresql_question_and_answer_take_three_round_trips(
    app: Flask, phone: Phone, database_uri: str
) -> None:
    """Two reads and one write, each alone: no BEGIN or COMMIT round trip, and the text and
    its reply go in one statement (a data-modifying WITH)."""
    if _backend(database_uri) != "postgresql":
        pytest.skip("PostgreSQL's round trips; SQLite runs in the process")
    phone.text("hello")  # the first text asks the server once about commit durability
    seen = _statements(app)
    assert "hospice" in phone.text("what is hospice").lower()

    assert [s for s, _ in seen] == [
        "SELECT PATIENTS.ID,",
        "SELECT MESSAGES.DIRECTION,",
        "WITH INBOUND_TEXT",
    ]
    assert all(alone for _, alone in seen)
    with app.app_context():
        rows = db.session.execute(
            select(Message.direction, Message.body, Message.reply_to_id, Message.id)
            .where(Message.phone == phone.number)
            .order_by(Message.id.desc())
            .limit(2)
        ).all()
    reply, text = rows
    assert (text.direction, text.body) == ("inbound", "what is hospice")
    assert reply.direction == "outbound" and reply.reply_to_id == text.id
    assert "hospice" in reply.body.lower()


def test_a_text_that_changes_consent_is_written_in_one_transaction(
    app: Flask, phone: Phone, database_uri: str
) -> None:
    """STOP writes the text, the patient, the consent event and the reply: all or none."""
    seen = _statements(app)
    assert "unsubscribed" in phone.text("STOP").lower()

    writes = [alone for s, alone in seen if s.split()[0] in ("INSERT", "UPDATE", "WITH")]
    assert len(writes) >= 3 and not any(writes)


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
