"""A deadline for all the Dataverse requests one piece of work makes (a provider's webhook call).

Feature X-03, issue 14. A provider times a webhook out after a few seconds and
sends it again, so the daemon must answer in a bounded time even when Dataverse
is down or never answers. Inside ``with request_deadline(2.0):`` every request
this thread (or ``asyncio`` context) sends through a
:class:`~connectors.dataverse.client.DataverseClient` gets connect and read
timeouts no longer than the time left, a retry is not waited for when its
delay would pass the deadline, and a request due after the deadline is not sent
(:class:`DeadlineExceededError`, a ``NotSentError``). Outside such a block
nothing changes: the client's own timeouts and retry policy apply as before.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from connectors.dataverse.errors import ConnectFailedError

#: The shortest timeout handed to a request inside a deadline (seconds): below it nothing useful happens.
MIN_ATTEMPT_S = 0.05


class DeadlineExceededError(ConnectFailedError):
    """The work's deadline passed before this request could be sent: nothing was sent, safe to retry later."""


@dataclass(frozen=True)
class Deadline:
    """The moment (on ``clock``) after which no request of the work is sent."""

    at: float
    clock: Callable[[], float]

    def left_s(self) -> float:
        """Seconds left (0 once passed)."""
        return max(0.0, self.at - self.clock())

    def timeout(self, configured: tuple[float, float], operation: str) -> tuple[float, float]:
        """``(connect_s, read_s)`` capped by the time left; :class:`DeadlineExceededError` when too little is."""
        left = self.left_s()
        if left < MIN_ATTEMPT_S:
            raise DeadlineExceededError("the request's deadline passed before it could be sent", operation=operation)
        return min(configured[0], left), min(configured[1], left)

    def allows_wait(self, delay_s: float) -> bool:
        """Whether a retry after ``delay_s`` would still leave time to send it."""
        return delay_s + MIN_ATTEMPT_S <= self.left_s()


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("dataverse_deadline", default=None)


def current_deadline() -> Deadline | None:
    """The deadline in force here, or ``None``."""
    return _current.get()


@contextlib.contextmanager
def request_deadline(seconds: float, *, clock: Callable[[], float] = time.monotonic) -> Iterator[Deadline]:
    """Bound every Dataverse request made inside the block to ``seconds`` from now, retries included.

    A deadline already in force and earlier is kept.
    """
    if seconds <= 0:
        raise ValueError("a request deadline must be positive")
    deadline = Deadline(clock() + seconds, clock)
    outer = _current.get()
    if outer is not None and outer.clock is clock and outer.at < deadline.at:
        deadline = outer
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)
