"""Flask extensions, created unbound here and bound to the app in create_app()."""

from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

# Connection option: this transaction only reads first (see reading_first()).
READ_FIRST = "nextsteps_read_first"


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
# Only the routes that ask for it are limited (the staff login); the storage comes from
# RATELIMIT_STORAGE_URI ("database://" by default: bot/ratelimit.py). Fixed windows. No
# X-RateLimit headers: they would read the storage again after the view, while the request's
# own transaction may hold SQLite's write lock; the 429 page sets Retry-After itself.
limiter = Limiter(key_func=get_remote_address, strategy="fixed-window", headers_enabled=False)


def reading_first() -> None:
    """Start the session's transaction as a reader: on SQLite a plain BEGIN, which takes no
    write lock, instead of BEGIN IMMEDIATE. The caller ends it with done_reading() before
    writing. No-op when a transaction is already open, and nothing changes on PostgreSQL.
    """
    if not db.session().in_transaction():
        db.session.connection(execution_options={READ_FIRST: True})


def done_reading() -> None:
    """End a reading_first() transaction on SQLite, so the writes that follow begin with
    BEGIN IMMEDIATE and hold the one write lock only while they write. On PostgreSQL the
    same transaction goes on (readers never block there, and a commit is a round trip).
    Loaded rows are expired, so touching them again re-reads them inside the write."""
    if db.session().in_transaction() and db.session.get_bind().dialect.name == "sqlite":
        db.session.commit()


# synchronous_commit values for which COMMIT returns only once the WAL is on local disk.
_FLUSHING = {"on", "local", "remote_write", "remote_apply"}


def commits_are_durable() -> bool:
    """Whether a commit is on disk when it returns: PostgreSQL with synchronous_commit on
    (its default), yes; SQLite in WAL mode with synchronous=NORMAL (ours), no. Asked of the
    database once per process; while it cannot be asked, the answer is no."""
    ext = current_app.extensions
    if "nextsteps.durable_commits" not in ext:
        if db.session.get_bind().dialect.name != "postgresql":
            ext["nextsteps.durable_commits"] = False
        else:
            try:
                value = db.session.execute(text("SHOW synchronous_commit")).scalar_one()
                fsync = db.session.execute(text("SHOW fsync")).scalar_one()
            except SQLAlchemyError:
                db.session.rollback()
                return False
            ext["nextsteps.durable_commits"] = value in _FLUSHING and fsync == "on"
    return ext["nextsteps.durable_commits"]
