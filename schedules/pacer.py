"""Spread sends evenly at a messages-per-second limit, shared by every sending thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class Pacer:
    """Hands out send slots 1/rate seconds apart. No bursts: idle time is not saved up."""

    def __init__(
        self,
        rate_per_second: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._interval = 1.0 / rate_per_second
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        """Block until this caller's slot comes."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self._interval
        if slot > now:
            self._sleep(slot - now)
