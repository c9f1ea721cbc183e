"""A tally of the Web API requests the emulator answered, by status, for tests and benchmarks.

Counting on the server side measures any client the same way, the suite's own
or another vendor's SDK.
"""

from __future__ import annotations

import threading
from collections import Counter


class Traffic:
    """Thread-safe counters of answered Web API requests (admin endpoints excluded)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_status: Counter[int] = Counter()

    def record(self, status: int) -> None:
        with self._lock:
            self._by_status[status] += 1

    def snapshot(self) -> dict[str, object]:
        """``{"requests": total, "by_status": {"204": n, "429": m, ...}}``."""
        with self._lock:
            return {
                "requests": sum(self._by_status.values()),
                "by_status": {str(status): n for status, n in sorted(self._by_status.items())},
            }

    def count(self, status: int | None = None) -> int:
        with self._lock:
            return sum(self._by_status.values()) if status is None else self._by_status[status]

    def reset(self) -> None:
        with self._lock:
            self._by_status.clear()
