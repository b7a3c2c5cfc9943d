"""NextSteps: the Flask application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from bot.config import load_config
from bot.extensions import (
    READ_FIRST,
    CachedSerializerSessions,
    csrf,
    db,
    limiter,
    login_manager,
    migrate,
)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app: config, database, content, transport, blueprints, CLI commands.

    `test_config` overrides settings after the environment has been read (tests only).
    """
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(load_config(app.instance_path))
    if test_config:
        app.config.from_mapping(test_config)
    app.session_interface = CachedSerializerSessions()

    from bot.logs import configure_logging

    configure_logging(app.config["LOG_LEVEL"])

    # Behind a TLS-terminating proxy, request.url must be the https URL Twilio signed.
    app.wsgi_app = ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1, x_port=1, x_prefix=1)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    csrf.init_app(app)
    login_manager.init_app(app)
    _sqlite_pragmas(app)
    import bot.ratelimit  # noqa: F401  (registers the database:// rate-limit storage)

    limiter.init_app(app)

    _build_services(app)
    _register_views(app)

    @app.get("/")
    def index() -> tuple[str, int]:
        return f"{app.config['PROGRAM_NAME']} is running.\n", 200

    logging.getLogger("nextsteps").debug("app created")
    return app


def create_web_app() -> Flask:
    """The web server's app (the Procfile's `web:`): the classifier trained and the card
    index fitted before the first text, in gunicorn's master (--preload), shared by the
    forked workers. Commands and the clock build the app with create_app(), and train
    only if they route a text."""
    app = create_app()
    app.extensions["nextsteps.pipeline"].warm()
    return app


def _build_services(app: Flask) -> None:
    """Content and transport are built once; a bad content file stops start-up here."""
    from bot.content_check import load_checked_content
    from bot.conversation import language
    from bot.conversation.pipeline import Pipeline
    from bot.sms.spool import Spool
    from bot.sms.transport import make_transport

    content = load_checked_content()
    app.extensions["nextsteps.content"] = content
    app.extensions["nextsteps.pipeline"] = Pipeline(
        content, app.config["PROGRAM_NAME"], app.config["CLINIC_PHONE"]
    )
    language.warm_up()  # the language models load now, not on a patient's first text
    app.extensions["nextsteps.transport"] = make_transport(app.config)
    app.extensions["nextsteps.spool"] = Spool(
        Path(app.config["SPOOL_DIR"]), app.config["SPOOL_MAX_BYTES"]
    )


def _register_views(app: Flask) -> None:
    """The webhook, ops endpoints, staff console and every `flask` command."""
    from bot.cli import register_cli
    from bot.ops import bp as ops_bp
    from bot.sms.webhook import bp as sms_bp
    from bot.staff import bp as staff_bp
    from bot.staff.accounts import load_user
    from bot.staff.errors import register_error_pages

    app.register_blueprint(sms_bp)
    app.register_blueprint(ops_bp)
    # The webhook is authenticated by Twilio's signature, not a CSRF token.
    csrf.exempt(sms_bp)
    app.register_blueprint(staff_bp)
    login_manager.user_loader(load_user)
    login_manager.login_view = "staff.login"
    register_error_pages(app)
    register_cli(app)


def _sqlite_pragmas(app: Flask) -> None:
    """SQLite: one writer at a time, waiting for it rather than failing.

    Each transaction starts with BEGIN IMMEDIATE, so two workers never both read and then
    race to write (the reminder claim relies on this). The one exception is the inbound
    hot path, which reads and decides first without the lock (reading_first(), as it
    would on PostgreSQL; the unique MessageSid still dedupes) and then writes briefly.
    PostgreSQL needs none of it: row locks and unique indexes do the same job there.
    """
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record) -> None:  # noqa: ANN001
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=15000")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:  # noqa: ANN001
        if not conn.get_execution_options().get(READ_FIRST):  # readers autocommit
            conn.exec_driver_sql("BEGIN IMMEDIATE")
