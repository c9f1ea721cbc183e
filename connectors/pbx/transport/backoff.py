"""Capped exponential backoff with full jitter for reconnecting line transports (CALL-14, CALL-21)."""

from __future__ import annotations

import random


class Backoff:
    """Attempt ``n`` waits ``uniform(min_s, min(max_s, min_s * 2**n))`` seconds; :meth:`reset` after a stable link."""

    def __init__(self, min_s: float, max_s: float, rng: random.Random | None = None):
        if min_s <= 0 or max_s < min_s:
            raise ValueError("backoff needs 0 < min_s <= max_s")
        self._min_s, self._max_s = min_s, max_s
        self._rng = rng or random.Random()
        self.attempt = 0

    def next_delay_s(self) -> float:
        ceiling = min(self._max_s, self._min_s * (2 ** min(self.attempt, 32)))
        self.attempt += 1
        return self._rng.uniform(self._min_s, ceiling)

    def reset(self) -> None:
        self.attempt = 0
