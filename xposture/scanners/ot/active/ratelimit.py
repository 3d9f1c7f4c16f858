"""An asyncio token bucket: the one place active scanners wait before sending a packet."""

from __future__ import annotations

import asyncio
import time


class RateLimiter:
    """Allow at most ``rate_per_s`` sends per second on average, with a small burst.

    Plant networks carry fragile devices; a sweep that floods a serial gateway
    is a safety incident, so every send goes through ``acquire`` first.
    """

    def __init__(self, rate_per_s: float, burst: int | None = None) -> None:
        if rate_per_s <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate_per_s)
        self.capacity = float(burst if burst is not None else max(1, min(int(rate_per_s / 10), 100)))
        self._tokens = self.capacity
        self._last = time.monotonic()
        self._lock = asyncio.Lock()
        self.sent = 0

    async def acquire(self) -> None:
        """Wait until one more packet may be sent."""
        async with self._lock:
            while True:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
                self._last = now
                if self._tokens >= 1.0:
                    self._tokens -= 1.0
                    self.sent += 1
                    return
                await asyncio.sleep((1.0 - self._tokens) / self.rate)
