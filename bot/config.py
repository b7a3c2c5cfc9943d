"""Every setting, read from the environment in one place and validated.

`load_config()` is the only function that looks at os.environ; everything else reads
`app.config`. A contradictory or malformed setting stops start-up with a message that
names the variable, rather than failing later on the first text.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import click


class ConfigError(click.ClickException, RuntimeError):
    """A setting is missing, malformed or contradicts another one. A click exception, so
    every `flask` command stops with "Error: <message>" and status 1, not a traceback."""

    def __str__(self) -> str:
        return self.message


def _int(env: Mapping[str, str], name: str, default: int, low: int = 0) -> int:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < low:
        raise ConfigError(f"{name} must be at least {low}, got {value}")
    return value


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    return raw.strip().lower() in ("1", "true", "yes", "on")


def _hhmm(env: Mapping[str, str], name: str, default: str) -> str:
    raw = env.get(name) or default
    try:
        hours, minutes = raw.split(":")
        if not (0 <= int(hours) < 24 and 0 <= int(minutes) < 60):
            raise ValueError
    except ValueError:
        raise ConfigError(f"{name} must look like HH:MM, got {raw!r}") from None
    return f"{int(hours):02d}:{int(minutes):02d}"


def database_url(raw: str | None, instance_path: str) -> str:
    """Normalise DATABASE_URL: default SQLite under instance/, psycopg 3 for PostgreSQL.

    Hosting platforms hand out `postgres://...`, which SQLAlchemy no longer accepts.
    """
    if not raw:
        return "sqlite:///" + str(Path(instance_path) / "nextsteps.sqlite3")
    for prefix in ("postgres://", "postgresql://"):
        if raw.startswith(prefix):
            return "postgresql+psycopg://" + raw[len(prefix) :]
    return raw


def load_config(instance_path: str, env: Mapping[str, str] | None = None) -> dict:
    """Read and validate every setting. Raises ConfigError naming the variable."""
    env = os.environ if env is None else env
    _require_for_production(env)
    return {
        "SQLALCHEMY_DATABASE_URI": database_url(env.get("DATABASE_URL"), instance_path),
        **_twilio_settings(env),
        **_web_settings(env),
        **_conversation_settings(env),
        **_reminder_settings(env),
        **_staff_settings(env),
        **_spool_settings(env, instance_path),
        **_housekeeping_settings(env),
        "TESTING": _bool(env, "TESTING", False),
        "LOG_LEVEL": env.get("LOG_LEVEL", "INFO").upper(),
    }


# Settings whose values patients read (or that guard them): production refuses to start
# without any of them, and says every one that is missing at once.
PRODUCTION_REQUIRED = {
    "SECRET_KEY": "signs staff sessions",
    "CLINIC_PHONE": "the care team's number every urgent reply and HELP text gives",
}


def _require_for_production(env: Mapping[str, str]) -> None:
    if env.get("FLASK_ENV") != "production":
        return
    missing = [name for name in PRODUCTION_REQUIRED if not env.get(name, "").strip()]
    if missing:
        why = "; ".join(f"{name} ({PRODUCTION_REQUIRED[name]})" for name in missing)
        raise ConfigError(f"FLASK_ENV=production needs these settings: {why}")


def _twilio_settings(env: Mapping[str, str]) -> dict:
    sid = env.get("TWILIO_ACCOUNT_SID", "").strip()
    token = env.get("TWILIO_AUTH_TOKEN", "").strip()
    service_sid = env.get("TWILIO_MESSAGING_SERVICE_SID", "").strip()
    from_number = env.get("TWILIO_FROM_NUMBER", "").strip()
    if sid and not token:
        raise ConfigError("TWILIO_ACCOUNT_SID is set but TWILIO_AUTH_TOKEN is not")
    if sid and not (service_sid or from_number):
        raise ConfigError(
            "TWILIO_ACCOUNT_SID is set: also set TWILIO_MESSAGING_SERVICE_SID or TWILIO_FROM_NUMBER"
        )
    if sid and not sid.startswith("AC"):
        raise ConfigError("TWILIO_ACCOUNT_SID must start with AC")
    if service_sid and not service_sid.startswith("MG"):
        raise ConfigError("TWILIO_MESSAGING_SERVICE_SID must start with MG")
    return {
        "TWILIO_ACCOUNT_SID": sid,
        "TWILIO_AUTH_TOKEN": token,
        "TWILIO_MESSAGING_SERVICE_SID": service_sid,
        "TWILIO_FROM_NUMBER": from_number,
        # Points the real twilio client at another server (tests, staging, Prism).
        "TWILIO_API_BASE_URL": env.get("TWILIO_API_BASE_URL", "").strip().rstrip("/"),
        "TWILIO_TIMEOUT_SECONDS": _float(env, "TWILIO_TIMEOUT_SECONDS", 15.0),
    }


def _web_settings(env: Mapping[str, str]) -> dict:
    public_base_url = env.get("PUBLIC_BASE_URL", "").strip().rstrip("/")
    if public_base_url and not public_base_url.startswith(("http://", "https://")):
        raise ConfigError("PUBLIC_BASE_URL must start with http:// or https://")
    secret = env.get("SECRET_KEY", "")
    if secret and env.get("FLASK_ENV") == "production":
        _check_secret_strength(secret)
    if not secret:
        # A fixed dev key keeps `flask run` working out of the box; production must set one.
        if env.get("FLASK_ENV") == "production" or _bool(env, "REQUIRE_SECRET_KEY", False):
            raise ConfigError("SECRET_KEY must be set in production")
        secret = "dev-only-not-secret"
    secure = _cookie_secure(env, public_base_url)
    return {
        "PRODUCTION": env.get("FLASK_ENV") == "production",
        "SECRET_KEY": secret,
        "PUBLIC_BASE_URL": public_base_url,
        # Twilio bodies are at most 1600 characters; 64 KiB leaves room for every other field.
        "MAX_CONTENT_LENGTH": _int(env, "MAX_CONTENT_LENGTH", 64 * 1024, low=1024),
        # Lax, not Strict: a link to the console from an email still opens it logged in;
        # every change is a POST with a CSRF token, which Lax never sends cross-site.
        "SESSION_COOKIE_SECURE": secure,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # SQL errors in logs show the statement, never its values (bodies, numbers).
        "SQLALCHEMY_ENGINE_OPTIONS": {"hide_parameters": True},
        "WTF_CSRF_ENABLED": _bool(env, "WTF_CSRF_ENABLED", True),
    }


# Keys people paste from tutorials; with any of them a staff session cookie can be forged.
_PLACEHOLDER_KEYS = {"changeme", "change-me", "secret", "secret-key", "dev", "development",
                     "dev-only-not-secret", "your-secret-key", "supersecret", "password"}

_PLACEHOLDER_WORDS = ("change", "example", "placeholder", "your-", "random-characters")


def _check_secret_strength(secret: str) -> None:
    """Production's key: at least 32 characters of real randomness (e.g. `python -c
    'import secrets; print(secrets.token_hex(32))'`), not a placeholder or a repeat."""
    lowered = secret.strip().lower()
    weak = (
        lowered in _PLACEHOLDER_KEYS
        or any(word in lowered for word in _PLACEHOLDER_WORDS)
        or len(secret) < 32
        or len(set(secret)) < 12  # "aaaa...", "abab...": no randomness to speak of
    )
    if weak:
        raise ConfigError(
            "SECRET_KEY is too weak for production: use at least 32 random characters"
            " (python -c 'import secrets; print(secrets.token_hex(32))')"
        )


def _cookie_secure(env: Mapping[str, str], public_base_url: str) -> bool:
    """Secure cookies in production and wherever the public URL is https; plain-http dev
    stays usable. Turning them off there is refused rather than silently obeyed."""
    required = env.get("FLASK_ENV") == "production" or public_base_url.startswith("https://")
    secure = _bool(env, "SESSION_COOKIE_SECURE", required)
    if required and not secure:
        raise ConfigError(
            "SESSION_COOKIE_SECURE cannot be off with FLASK_ENV=production or an https "
            "PUBLIC_BASE_URL: session cookies must only travel over https"
        )
    return secure


def _limits(env: Mapping[str, str], name: str, default: str) -> str:
    """A Flask-Limiter rate string like "5 per minute;20 per hour", checked now."""
    from limits import parse_many

    raw = env.get(name) or default
    try:
        parse_many(raw)
    except ValueError:
        example = "5 per minute;20 per hour"
        raise ConfigError(f"{name} must look like {example!r}, got {raw!r}") from None
    return raw


def _conversation_settings(env: Mapping[str, str]) -> dict:
    default_tz = env.get("DEFAULT_TIMEZONE", "America/New_York")
    try:
        ZoneInfo(default_tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"DEFAULT_TIMEZONE {default_tz!r} is not an IANA time zone") from None
    return {
        "PROGRAM_NAME": env.get("PROGRAM_NAME", "NextSteps"),
        # Unset (development only): texts say "your clinic's main number" in their language.
        "CLINIC_PHONE": env.get("CLINIC_PHONE", "").strip(),
        "DEFAULT_REGION": env.get("DEFAULT_REGION", "US"),
        "DEFAULT_TIMEZONE": default_tz,
        # Loop guard: an auto-responder or a stuck phone must not start a reply storm.
        "LOOP_MAX_PER_MINUTE": _int(env, "LOOP_MAX_PER_MINUTE", 6, low=1),
        "LOOP_MAX_REPEATS": _int(env, "LOOP_MAX_REPEATS", 3, low=1),
        "LOOP_WINDOW_MINUTES": _int(env, "LOOP_WINDOW_MINUTES", 10, low=1),
    }


def _reminder_settings(env: Mapping[str, str]) -> dict:
    offsets_raw = env.get("REMINDER_OFFSETS_DAYS", "7,1")
    try:
        offsets = sorted({int(x) for x in offsets_raw.split(",") if x.strip()}, reverse=True)
    except ValueError:
        raise ConfigError(
            f"REMINDER_OFFSETS_DAYS must be comma-separated days, got {offsets_raw!r}"
        ) from None
    return {
        # The TCPA health-care exemption's caps are 1 a day, 3 a week.
        "REMINDER_OFFSETS_DAYS": offsets,
        "REMINDER_LOCAL_TIME": _hhmm(env, "REMINDER_LOCAL_TIME", "10:00"),
        "QUIET_HOURS_START": _hhmm(env, "QUIET_HOURS_START", "20:00"),
        "QUIET_HOURS_END": _hhmm(env, "QUIET_HOURS_END", "09:00"),
        "REMINDER_MAX_PER_DAY": _int(env, "REMINDER_MAX_PER_DAY", 1, low=1),
        "REMINDER_MAX_PER_WEEK": _int(env, "REMINDER_MAX_PER_WEEK", 3, low=1),
        "REMINDER_GRACE_MINUTES": _int(env, "REMINDER_GRACE_MINUTES", 120, low=1),
        # Check-ins: an open one with no reply this long is missed; a bare C or R answers a
        # reminder only this long after it was sent.
        "CHECKIN_ANSWER_HOURS": _int(env, "CHECKIN_ANSWER_HOURS", 24, low=1),
        "REMINDER_REPLY_HOURS": _int(env, "REMINDER_REPLY_HOURS", 72, low=1),
        "SEND_RATE_PER_SECOND": _float(env, "SEND_RATE_PER_SECOND", 1.0),
        "SEND_CONCURRENCY": _int(env, "SEND_CONCURRENCY", 16, low=1),
        "SEND_MAX_ATTEMPTS": _int(env, "SEND_MAX_ATTEMPTS", 5, low=1),
        # First retry after this long, doubling each time (429, 5xx, 21611).
        "SEND_RETRY_BASE_SECONDS": _int(env, "SEND_RETRY_BASE_SECONDS", 30, low=1),
        # A claimed reminder untouched this long is presumed orphaned by a crash: ask Twilio
        # whether it went out before sending again. Must exceed one batch's send time.
        "REMINDER_LEASE_SECONDS": _int(env, "REMINDER_LEASE_SECONDS", 120, low=1),
        # Scans proposed from a patient's rescan rhythm are booked at this local time.
        "RHYTHM_SCAN_LOCAL_TIME": _hhmm(env, "RHYTHM_SCAN_LOCAL_TIME", "09:00"),
        "CLOCK_TICK_SECONDS": _int(env, "CLOCK_TICK_SECONDS", 60, low=1),
        # During a long batch the clock's heartbeat (/healthz) is refreshed this often.
        "CLOCK_HEARTBEAT_SECONDS": _int(env, "CLOCK_HEARTBEAT_SECONDS", 30, low=1),
    }


def _staff_settings(env: Mapping[str, str]) -> dict:
    return {
        # This many wrong passwords in a row lock the account for a while.
        "STAFF_LOGIN_MAX_FAILURES": _int(env, "STAFF_LOGIN_MAX_FAILURES", 5, low=1),
        "STAFF_LOCKOUT_MINUTES": _int(env, "STAFF_LOCKOUT_MINUTES", 15, low=1),
        # Login throttle (Flask-Limiter), counted in RATELIMIT_STORAGE_URI, shared by every
        # worker: "database://" is the app's own database; "redis://..." also works.
        "RATELIMIT_ENABLED": _bool(env, "RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or "database://",
        "STAFF_LOGIN_LIMIT_PER_ADDRESS": _limits(
            env, "STAFF_LOGIN_LIMIT_PER_ADDRESS", "10 per minute;50 per hour"
        ),
        "STAFF_LOGIN_LIMIT_PER_ACCOUNT": _limits(
            env, "STAFF_LOGIN_LIMIT_PER_ACCOUNT", "5 per minute;20 per hour"
        ),
        # Each row may send a text while the request waits: keep one upload short.
        "STAFF_IMPORT_MAX_ROWS": _int(env, "STAFF_IMPORT_MAX_ROWS", 500, low=1),
        # A flagged text waiting longer than this stands out in the inbox.
        "STAFF_FLAG_OVERDUE_HOURS": _int(env, "STAFF_FLAG_OVERDUE_HOURS", 4, low=1),
        # A patient's text this soon after a staff text is flagged for staff (their answer).
        "STAFF_CONVERSATION_HOURS": _int(env, "STAFF_CONVERSATION_HOURS", 24, low=1),
    }


def _spool_settings(env: Mapping[str, str], instance_path: str) -> dict:
    return {
        # Every inbound text is written here (one file per web process) before it is
        # handled; shared by the web processes and the clock, which replays it.
        "SPOOL_DIR": env.get("SPOOL_DIR", "").strip() or str(Path(instance_path) / "spool"),
        # Per process file: past this, new texts get 503 (Twilio retries) until replayed.
        "SPOOL_MAX_BYTES": _int(env, "SPOOL_MAX_BYTES", 16 * 1024 * 1024, low=4096),
    }


def _housekeeping_settings(env: Mapping[str, str]) -> dict:
    backup_dir = env.get("BACKUP_DIR", "").strip()
    if backup_dir and not Path(backup_dir).is_absolute():
        raise ConfigError(f"BACKUP_DIR must be an absolute path, got {backup_dir!r}")
    return {
        # Nightly backups by the clock: off while BACKUP_DIR is unset (the clinic may
        # back up the server another way); the last BACKUP_KEEP files are kept.
        "BACKUP_DIR": backup_dir,
        "BACKUP_KEEP": _int(env, "BACKUP_KEEP", 14, low=1),
        # The nightly jobs (backup, retention) run at the first tick after this time in
        # DEFAULT_TIMEZONE, once per local day.
        "NIGHTLY_LOCAL_TIME": _hhmm(env, "NIGHTLY_LOCAL_TIME", "02:30"),
        # Message bodies older than this are blanked (who, when, topic and status stay).
        "RETENTION_DAYS": _int(env, "RETENTION_DAYS", 365, low=30),
    }
