"""Console sign-in throttle: failed sign-ins slow the client that made them, and all clients together.

A client (the peer address) may fail ``free_failures`` times; after that each
failure locks it out for ``base_delay_s``, doubling with every further failure
up to ``max_delay_s``. Over all clients, at most ``global_failures`` failures
are allowed in any ``global_window_s``; beyond that every sign-in waits until
the oldest failure leaves the window. A locked-out attempt is refused before
its token is compared, so guessing gains nothing, and it does not count as a
failure (a waiting user is not punished further). A success clears the
client's record. The clock is injected (monotonic seconds).
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class _Client:
    failures: int = 0
    locked_until: float = 0.0


class SignInThrottle:
    """Decides whether a sign-in attempt may be checked now, and records its result."""

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        free_failures: int = 5,
        base_delay_s: float = 1.0,
        max_delay_s: float = 300.0,
        global_failures: int = 30,
        global_window_s: float = 60.0,
        max_clients: int = 10_000,
    ) -> None:
        if free_failures < 1 or global_failures < 1 or max_clients < 1:
            raise ValueError("free_failures, global_failures and max_clients must be at least 1")
        if base_delay_s <= 0 or max_delay_s < base_delay_s or global_window_s <= 0:
            raise ValueError("delays must be positive, with max_delay_s at least base_delay_s")
        self._clock = clock
        self._free, self._base, self._max = free_failures, base_delay_s, max_delay_s
        self._global_limit, self._window = global_failures, global_window_s
        self._max_clients = max_clients
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._recent: deque[float] = deque()

    @property
    def tracked_clients(self) -> int:
        return len(self._clients)

    def retry_after(self, client: str) -> int | None:
        """Whole seconds ``client`` must wait before its next attempt, or ``None`` when it may try now."""
        now = self._clock()
        self._forget_old(now)
        waits = []
        record = self._clients.get(client)
        if record is not None and record.locked_until > now:
            waits.append(record.locked_until - now)
        if len(self._recent) >= self._global_limit:
            waits.append(self._recent[0] + self._window - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, client: str) -> None:
        """A refused token or user id from ``client``."""
        now = self._clock()
        self._recent.append(now)
        record = self._clients.pop(client, None) or _Client()
        record.failures += 1
        if record.failures >= self._free:
            delay = self._base * 2 ** min(record.failures - self._free, 32)
            record.locked_until = now + min(self._max, delay)
        self._clients[client] = record  # most recent last
        while len(self._clients) > self._max_clients:
            self._clients.popitem(last=False)

    def succeeded(self, client: str) -> None:
        self._clients.pop(client, None)

    def _forget_old(self, now: float) -> None:
        while self._recent and self._recent[0] + self._window <= now:
            self._recent.popleft()
