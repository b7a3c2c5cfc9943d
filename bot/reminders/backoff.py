"""How long to wait before retrying a transient send failure: the one home for backoff."""

from __future__ import annotations

from datetime import timedelta

MAX_DELAY = timedelta(minutes=30)


def retry_delay(attempts: int, base_seconds: int) -> timedelta:
    """Exponential: base, 2x base, 4x base... after the 1st, 2nd, 3rd failed attempt."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_DELAY)
