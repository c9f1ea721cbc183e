"""A bearer token kept fresh ahead of its expiry, fetched by one thread at a time (X-03, X-04).

A token fetch from Microsoft Entra ID can take up to its 30 s timeout, far longer than the 2 s
a provider's webhook may wait (:mod:`connectors.dataverse.deadline`). So a request should find a
valid token already there: :class:`TokenRefresher` hands out the token it holds and, once less than
:data:`REFRESH_BEFORE_S` of its life is left, starts one background fetch for the next one while it
goes on handing out the current; a timer starts that fetch too, so a process that had no request for an
hour still finds a fresh token. Only a request that finds no usable token at all (the first one, or
after a 401) waits for a fetch, and inside a request deadline it waits at most the time left: then it
raises :class:`~connectors.dataverse.deadline.DeadlineExceededError` (nothing was sent, so the daemon
holds the inbound text as when Dataverse is down) while the fetch goes on for the next request.

Fetches are single-flight: whoever needs a token while one is being fetched waits for that one.
A failed background fetch is tried again :data:`RETRY_AFTER_FAILURE_S` later at the earliest, while
the current token lasts. The clock, the way a fetch is started, the way a refresh is scheduled and the
way a caller waits are injected, so tests run without threads racing or sleeping.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from connectors.dataverse.deadline import DeadlineExceededError, current_deadline
from connectors.settings import Secret

log = logging.getLogger(__name__)

#: A token with less than this left (seconds) is refreshed in the background.
REFRESH_BEFORE_S = 300.0
#: A token this close to its expiry (seconds) is no longer handed out: it could expire on the wire.
EXPIRY_MARGIN_S = 30.0
#: After a failed background fetch, the next one starts no sooner than this (seconds).
RETRY_AFTER_FAILURE_S = 10.0


@dataclass(frozen=True)
class FetchedToken:
    """A token as the identity provider gave it; ``expires_in_s`` ``None`` when it did not say."""

    value: Secret
    expires_in_s: float | None


@dataclass
class _Flight:
    """One fetch under way; waiters read its outcome once ``done`` is set."""

    done: threading.Event = field(default_factory=threading.Event)
    token: str = ""
    error: BaseException | None = None


def start_thread(work: Callable[[], None]) -> None:
    """Run ``work`` on a new daemon thread (the default way a fetch is started)."""
    threading.Thread(target=work, name="dataverse-token-refresh", daemon=True).start()


def start_timer(delay_s: float, work: Callable[[], None]) -> threading.Timer:
    """Run ``work`` on a daemon timer thread after ``delay_s`` (the default way a refresh is scheduled);
    the timer is returned so that a later schedule can cancel it."""
    timer = threading.Timer(delay_s, work)
    timer.name, timer.daemon = "dataverse-token-timer", True
    timer.start()
    return timer


def wait_for(event: threading.Event, timeout_s: float | None) -> bool:
    """Wait for ``event`` at most ``timeout_s`` (``None``: for ever); whether it is set."""
    return event.wait(timeout_s)


class TokenRefresher:
    """Hands out a bearer token and keeps it fresh; ``fetch`` asks the identity provider for a new one.

    ``fetch`` raises what the caller should see (``DataverseAuthError``, ``ConnectFailedError``).
    """

    def __init__(
        self,
        fetch: Callable[[], FetchedToken],
        *,
        clock: Callable[[], float] = time.monotonic,
        start: Callable[[Callable[[], None]], None] = start_thread,
        wait: Callable[[threading.Event, float | None], bool] = wait_for,
        schedule: Callable[[float, Callable[[], None]], object] = start_timer,
        refresh_before_s: float = REFRESH_BEFORE_S,
    ):
        self._fetch, self._clock, self._start, self._wait = fetch, clock, start, wait
        self._schedule = schedule
        self._refresh_before_s = refresh_before_s
        self._lock = threading.Lock()
        self._value: Secret | None = None
        self._expires_at: float | None = None
        self._flight: _Flight | None = None
        self._next_attempt = 0.0
        self._timer: object = None  # the one pending scheduled refresh (cancelled when replaced)

    def token(self, *, force_refresh: bool = False) -> str:
        """A valid token; ``force_refresh`` (Dataverse refused the one held) drops it and waits for a new one.

        Inside a request deadline a wait ends at the deadline with ``DeadlineExceededError`` (a
        ``NotSentError``: nothing was sent, safe to retry); the fetch goes on in the background.
        """
        with self._lock:
            if force_refresh:
                self._value = self._expires_at = None
            now = self._clock()
            if self._value is not None and self._expires_at is not None and now < self._expires_at - EXPIRY_MARGIN_S:
                self._refresh_if_due(now)  # ahead of expiry, in the background: this request goes on at once
                return self._value.reveal()
            flight = self._begin()
        return self._outcome(flight)

    def _refresh_due(self) -> None:
        """A scheduled refresh: a process with no requests keeps a fresh token too."""
        with self._lock:
            self._refresh_if_due(self._clock())

    def _refresh_if_due(self, now: float) -> None:
        """Start the background fetch when the token held has under ``refresh_before_s`` left (lock held)."""
        if self._expires_at is None or now < self._expires_at - self._refresh_before_s or now < self._next_attempt:
            return
        self._begin()

    def _begin(self) -> _Flight:
        """The fetch under way, started now if there is none (the caller holds the lock)."""
        if self._flight is None:
            flight = self._flight = _Flight()
            self._start(lambda: self._run(flight))
        return self._flight

    def _run(self, flight: _Flight) -> None:
        started = self._clock()
        try:
            fetched = self._fetch()
        except BaseException as exc:  # handed to the waiters, raised in their threads
            flight.error = exc
            log.warning("dataverse token fetch failed (%s)", type(exc).__name__, extra={"operation": "token"})
        else:
            flight.token = fetched.value.reveal()
        with self._lock:
            if flight.error is not None:
                self._next_attempt = started + RETRY_AFTER_FAILURE_S
                lasts = self._expires_at is not None and started + RETRY_AFTER_FAILURE_S < self._expires_at
                due_in = RETRY_AFTER_FAILURE_S if lasts else None  # past that, requests ask for one
            elif fetched.expires_in_s is not None:
                self._value, self._expires_at = fetched.value, started + fetched.expires_in_s
                due_in = max(0.0, self._expires_at - self._refresh_before_s - self._clock())
            else:
                due_in = None
            self._flight = None
        flight.done.set()
        if due_in is not None:
            self._replace_timer(self._schedule(due_in, self._refresh_due))

    def _replace_timer(self, timer: object) -> None:
        """Keep one scheduled refresh: a fetch made early (a 401) leaves no timer of the token before it waiting."""
        with self._lock:
            previous, self._timer = self._timer, timer
        cancel = getattr(previous, "cancel", None)
        if callable(cancel):
            cancel()

    def _outcome(self, flight: _Flight) -> str:
        deadline = current_deadline()
        if not self._wait(flight.done, None if deadline is None else deadline.left_s()):
            raise DeadlineExceededError(
                "no Dataverse token before the request's deadline; it is still being fetched", operation="token"
            )
        if flight.error is not None:
            raise flight.error
        return flight.token
