"""Alembic: upgrade from empty, downgrade cleanly, upgrade again (SQLite or PostgreSQL)."""

from __future__ import annotations

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from bot import create_app
from bot.extensions import db
from tests.conftest import fresh_database


def test_upgrade_downgrade_upgrade(tmp_path) -> None:
    with fresh_database(tmp_path) as uri:
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True})
        with app.app_context():
            upgrade()
            tables = set(inspect(db.engine).get_table_names())
            assert {m.name for m in db.metadata.sorted_tables} <= tables
            downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            assert {m.name for m in db.metadata.sorted_tables} <= set(
                inspect(db.engine).get_table_names()
            )
            db.engine.dispose()


def test_models_and_migrations_agree(tmp_path) -> None:
    """No model change without a migration: autogenerate finds nothing to do."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    with fresh_database(tmp_path) as uri:
        app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "TESTING": True})
        with app.app_context():
            upgrade()
            with db.engine.connect() as conn:
                diff = compare_metadata(MigrationContext.configure(conn), db.metadata)
            db.engine.dispose()
    assert diff == []
