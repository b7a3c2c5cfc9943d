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


def log_event(event: str, *, phone: str | None = None, **fields: object) -> None:
    """Log `event key=value ...`. Pass phone= (it is masked); never pass a body."""
    parts = [event]
    if phone is not None:
        parts.append(f"phone={mask_phone(phone)}")
    parts += [f"{k}={v}" for k, v in fields.items()]
    _log.info(" ".join(parts))


def configure_logging(level: str) -> None:
    if _log.handlers:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    _log.addHandler(handler)
    _log.setLevel(level)
    _log.propagate = False
