"""Requests per token (or per web session), with the `limits` library: a moving window in memory, per process.

In memory is enough for one `motifs serve` process (the deployment the README describes); several processes behind
a load balancer each count on their own, so the effective limit is multiplied by their number (documented).
"""

from __future__ import annotations

import math
import time

from limits import parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class RateLimiter:
    def __init__(self, spec: str) -> None:
        self.items = parse_many(spec)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def hit(self, key: str) -> int | None:
        """Count one request of `key`; None when allowed, else the seconds to wait before retrying."""
        for item in self.items:
            if not self._limiter.hit(item, key):
                reset = self._limiter.get_window_stats(item, key).reset_time
                return max(1, math.ceil(reset - time.time()))
        return None
