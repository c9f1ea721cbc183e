"""Service-protection retries for the Dataverse client, and request counting.

Dataverse asks every caller to wait ``Retry-After`` seconds after a 429 and send
again (MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/api-limits.md), so unlike other connectors
this client carries
a retry policy. It is injected, and ``RetryPolicy.off()`` turns it off where an
outbox already retries. Feature X-03.

What is retried, and when:

* 429: any request (Dataverse refused it before running it), after exactly
  ``Retry-After`` seconds, or after the backoff delay when the header is missing.
* connect failures (nothing was sent): any request, with backoff.
* 502/503/504 and a lost response (read timeout, reset): only idempotent
  requests (GET, PATCH, PUT, DELETE, and POSTs the caller marks idempotent).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

RETRYABLE_STATUSES = frozenset({502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """Capped exponential backoff with full jitter, and ``Retry-After`` obedience.

    ``max_attempts`` counts the first try (1 = never retry). The backoff before
    retry *n* (1-based) is ``rng() * min(cap_s, base_s * 2 ** (n - 1))``.
    A ``Retry-After`` longer than ``max_retry_after_s`` is not waited out: the
    :class:`~connectors.dataverse.errors.ThrottledError` goes to the caller.
    ``sleep`` and ``rng`` are injectable for tests.
    """

    max_attempts: int = 5
    base_s: float = 1.0
    cap_s: float = 60.0
    max_retry_after_s: float = 300.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    rng: Callable[[], float] = field(default=random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.base_s < 0 or self.cap_s < 0 or self.max_retry_after_s < 0:
            raise ValueError("retry delays cannot be negative")

    @classmethod
    def off(cls) -> RetryPolicy:
        """A policy that never retries."""
        return cls(max_attempts=1)

    def backoff_s(self, retry_number: int) -> float:
        """The jittered delay before retry ``retry_number`` (1 for the first retry)."""
        ceiling = min(self.cap_s, self.base_s * (2 ** max(0, retry_number - 1)))
        return self.rng() * ceiling

    def throttle_delay_s(self, retry_after_s: float | None, retry_number: int) -> float | None:
        """How long to wait after a 429, or ``None`` when the wait is too long to sit out."""
        if retry_after_s is None:
            return self.backoff_s(retry_number)
        if retry_after_s > self.max_retry_after_s:
            return None
        return retry_after_s


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` in seconds (Dataverse sends delta-seconds); ``None`` if absent or odd."""
    if value is None:
        return None
    try:
        seconds = float(value.strip())
    except ValueError:
        return None
    if seconds != seconds or seconds < 0 or seconds == float("inf"):
        return None
    return seconds


@dataclass
class RequestStats:
    """Counters for requests-per-unit-of-work figures; safe to share between threads.

    ``requests`` counts every HTTP request sent (retries and token-refresh resends
    included), ``retries`` the resends this client decided on, ``throttled`` the
    429 replies received and ``waited_s`` the total time slept before retries.

    Reachability, for a health endpoint: ``last_answer_at`` is when Dataverse last
    answered (``clock`` time; any reply below 500 counts, a refusal too), and
    ``consecutive_failures`` counts the attempts since then that got no answer
    (connect failure, timeout, reset) or a 5xx; ``last_failure`` names the last one
    and ``last_failure_at`` says when it happened.
    """

    requests: int = 0
    retries: int = 0
    throttled: int = 0
    waited_s: float = 0.0
    last_answer_at: float | None = None
    last_failure_at: float | None = None
    consecutive_failures: int = 0
    last_failure: str = ""
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def answered(self) -> None:
        """Dataverse answered a request (whatever it said): it is reachable."""
        with self._lock:
            self.last_answer_at = self.clock()
            self.consecutive_failures = 0

    def failed(self, why: str) -> None:
        """A request got no answer, or a 5xx: ``why`` is a short name (never a body or a secret)."""
        with self._lock:
            self.consecutive_failures += 1
            self.last_failure = why[:200]
            self.last_failure_at = self.clock()

    def last_heard_at(self) -> float | None:
        """When this client last answered or failed (``clock`` time); ``None`` before its first request."""
        with self._lock:
            times = [t for t in (self.last_answer_at, self.last_failure_at) if t is not None]
            return max(times) if times else None

    def since_answer_s(self) -> float | None:
        """Seconds since Dataverse last answered, on ``clock``; ``None`` when it never did."""
        with self._lock:
            return None if self.last_answer_at is None else max(0.0, self.clock() - self.last_answer_at)

    def add(self, *, requests: int = 0, retries: int = 0, throttled: int = 0, waited_s: float = 0.0) -> None:
        """Add to the counters atomically."""
        with self._lock:
            self.requests += requests
            self.retries += retries
            self.throttled += throttled
            self.waited_s += waited_s

    def snapshot(self) -> dict[str, float]:
        """The counters as a plain dict (for a log line or a benchmark)."""
        with self._lock:
            return {
                "requests": self.requests,
                "retries": self.retries,
                "throttled": self.throttled,
                "waited_s": self.waited_s,
            }
