"""Flask extensions, created unbound here and bound to the app in create_app()."""

from flask import Flask, current_app, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase

NO_SCHEMA_HINT = "the database has no tables yet: run `flask --app bot db upgrade` first"


def schema_missing(exc: BaseException) -> bool:
    """A database error that means the tables were never created (SQLite "no such
    table", PostgreSQL undefined_table 42P01)."""
    orig = getattr(exc, "orig", exc)
    if getattr(orig, "sqlstate", None) == "42P01" or getattr(orig, "pgcode", None) == "42P01":
        return True
    return "no such table" in str(orig)


def unique_violation(
    exc: BaseException, table: str, column: str, primary_key: bool = False
) -> bool:
    """Whether an IntegrityError is the unique key on `table.column` (a twin written
    meanwhile), not some other conflict. PostgreSQL names the constraint (by default
    `<table>_<column>_key`, or `<table>_pkey` for the primary key); SQLite says
    "UNIQUE constraint failed: <table>.<column>" for both."""
    orig = getattr(exc, "orig", exc)
    name = getattr(getattr(orig, "diag", None), "constraint_name", None)
    if name:
        return name == (f"{table}_pkey" if primary_key else f"{table}_{column}_key")
    return f"UNIQUE constraint failed: {table}.{column}" in str(orig)


# Connection option (SQLite): this connection reads first, with no BEGIN (reading_first()).
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


@limiter.request_filter
def _not_limited() -> bool:
    """The webhook and ops endpoints have no limits: skip the limiter's per-request work
    (resolving the limits of a route that has none)."""
    return request.blueprint in ("sms", "ops")


class CachedSerializerSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per secret
    key instead of on every request (it is opened for every request, the webhook's too)."""

    def __init__(self) -> None:
        self._serializers: dict[object, object] = {}

    def get_signing_serializer(self, app: Flask):  # noqa: ANN201  (itsdangerous' type)
        key = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if key not in self._serializers:
            self._serializers[key] = super().get_signing_serializer(app)
        return self._serializers[key]


def _dialect() -> str:
    return db.session.get_bind().dialect.name


def reading_first() -> None:
    """Read and decide outside any transaction, each query seeing the latest commit (what
    PostgreSQL's READ COMMITTED gives inside one anyway). On SQLite no BEGIN: no lock and
    no snapshot is held while deciding. On PostgreSQL autocommit: no BEGIN and COMMIT round
    trips. The caller then calls start_writing(). No-op when a transaction is already open.
    """
    if not db.session().in_transaction():
        sqlite = _dialect() == "sqlite"
        options = {READ_FIRST: True} if sqlite else {"isolation_level": "AUTOCOMMIT"}
        db.session.connection(execution_options=options)


def start_writing(one_statement: bool) -> bool:
    """End the read phase on the same connection and get ready to write. Returns True when
    the write may run alone, atomic by itself, outside a transaction: PostgreSQL, after
    reading_first(), for a write that is `one_statement` (no BEGIN and COMMIT round trips).
    Otherwise the writes run in a transaction: on SQLite BEGIN IMMEDIATE now, so the one
    write lock is held only while writing. Rows read so far are expired, so touching them
    again re-reads them inside the write."""
    conn = db.session.connection()
    options = conn.get_execution_options()
    if options.get(READ_FIRST):
        db.session.expire_all()
        conn.exec_driver_sql("BEGIN IMMEDIATE")
        return False
    if options.get("isolation_level") != "AUTOCOMMIT":
        return False  # already in a transaction of the caller's
    if one_statement:
        return True
    db.session.commit()  # the next statement begins a transaction on a fresh connection
    return False


# synchronous_commit values for which COMMIT returns only once the WAL is on local disk.
_FLUSHING = {"on", "local", "remote_write", "remote_apply"}


def commits_are_durable() -> bool:
    """Whether a commit is on disk when it returns: PostgreSQL with synchronous_commit on
    (its default), yes; SQLite in WAL mode with synchronous=NORMAL (ours), no. Asked of the
    database once per process; while it cannot be asked, the answer is no."""
    ext = current_app.extensions
    if "nextsteps.durable_commits" not in ext:
        if _dialect() != "postgresql":
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
