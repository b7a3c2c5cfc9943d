"""One log line per event, phone numbers masked, never a message body."""

from __future__ import annotations

import logging
import sys

_log = logging.getLogger("nextsteps")


def mask_phone(phone: str | None) -> str:
    """Keep only the last 4 digits: enough for staff to match, too little to identify."""
    if not phone:
        return "-"
    digits = [c for c in phone if c.isdigit()]
    return "***" + "".join(digits[-4:])


# Field names whose values must never reach a log, whoever passes them by mistake.
REDACTED_FIELDS = frozenset({"body", "text", "message", "password", "password_hash", "note"})


def log_event(event: str, *, phone: str | None = None, **fields: object) -> None:
    """Log `event key=value ...`. Pass phone= (it is masked); never pass a body (a field
    named body, text, password... is written as [redacted])."""
    parts = [event]
    if phone is not None:
        parts.append(f"phone={mask_phone(phone)}")
    parts += [f"{k}={'[redacted]' if k in REDACTED_FIELDS else v}" for k, v in fields.items()]
    _log.info(" ".join(parts))


class _NoResultRows(logging.Filter):
    """SQLAlchemy's engine logger at DEBUG (SQLALCHEMY_ECHO="debug") writes every result
    row, bodies and numbers included: those records are dropped. Bound values are hidden
    by the engine's hide_parameters (bot/config.py)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (isinstance(record.msg, str) and record.msg.startswith("Row "))


_NO_ROWS = _NoResultRows()


def configure_logging(level: str) -> None:
    engine_log = logging.getLogger("sqlalchemy.engine.Engine")
    if _NO_ROWS not in engine_log.filters:
        engine_log.addFilter(_NO_ROWS)
    # The twilio client logs each request at INFO, a listing's query (the number) included.
    twilio_log = logging.getLogger("twilio.http_client")
    if twilio_log.level == logging.NOTSET:
        twilio_log.setLevel(logging.WARNING)
    if _log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    _log.addHandler(handler)
    _log.setLevel(level)
    _log.propagate = False
