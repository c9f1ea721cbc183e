"""Fault injection: added latency, service-protection throttling, outages and modelled server time.

The throttle follows MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/api-limits.md: per user
(here, per bearer token), a
sliding 300-second window, at most 6,000 requests and 1,200,000 ms of combined execution
time, and at most 52 requests in flight. Going over answers ``429 Too Many Requests`` with
``Retry-After`` in whole seconds and the real error codes and messages. An outage answers
``503 Service Unavailable`` with ``Retry-After`` set to the seconds left in the outage.

Every response carries ``x-ms-dop-hint``; bulk messages spend the modelled server time
of :mod:`emulator.server.limits`, which counts against the execution-time budget.

Unlike the real service, requests refused with 429 do not themselves count against the
window, so a client that waits exactly ``Retry-After`` is always let through.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from emulator.errors import ODataError
from emulator.server.limits import ServerModel, server_model_from_json, spend_bulk_time

REQUEST_COUNT_CODE = "0x80072322"
EXECUTION_TIME_CODE = "0x80072321"
CONCURRENCY_CODE = "0x80072326"


@dataclass(frozen=True)
class ServiceProtection:
    """Service-protection limits; the defaults are the real service's."""

    requests_per_window: int = 6000
    window_s: float = 300.0
    execution_ms_per_window: int = 1_200_000
    max_concurrent: int = 52


@dataclass(frozen=True)
class Outage:
    """The service answers 503 from ``start`` to ``end`` (``time.monotonic()`` seconds)."""

    start: float
    end: float
    retry_after_s: int | None = None


@dataclass(frozen=True)
class FaultPlan:
    """What faults the emulator injects. ``limits=None`` turns throttling off; ``server``
    is the modelled server time of bulk messages (:mod:`emulator.server.limits`)."""

    latency_ms: int = 0
    limits: ServiceProtection | None = field(default_factory=ServiceProtection)
    outages: tuple[Outage, ...] = ()
    server: ServerModel = field(default_factory=ServerModel)

    @classmethod
    def none(cls) -> FaultPlan:
        return cls(latency_ms=0, limits=None, outages=(), server=ServerModel.instant())

    def to_json(self, now: float) -> dict[str, Any]:
        return {
            "latency_ms": self.latency_ms,
            "throttle": asdict(self.limits) if self.limits else None,
            "server": asdict(self.server),
            "outages": [
                {
                    "starts_in_s": round(o.start - now, 3),
                    "ends_in_s": round(o.end - now, 3),
                    "retry_after_s": o.retry_after_s,
                }
                for o in self.outages
                if o.end > now
            ],
        }


def plan_from_json(payload: Any, current: FaultPlan, now: float) -> FaultPlan:
    """Apply an admin request such as ``{"latency_ms": 20, "throttle": {"requests_per_window": 10},
    "outage": {"duration_s": 5}, "server": {"ms_per_record": 25}}`` to ``current``. Absent keys keep
    their value; ``"throttle": null`` and ``"outages": []`` turn those faults off."""
    if not isinstance(payload, dict):
        raise ValueError("the fault plan must be a JSON object")
    unknown = set(payload) - {"latency_ms", "throttle", "outage", "outages", "server"}
    if unknown:
        raise ValueError(f"unknown fault settings {sorted(unknown)}")
    plan = current
    if "latency_ms" in payload:
        plan = replace(plan, latency_ms=_non_negative_int(payload["latency_ms"], "latency_ms"))
    if "throttle" in payload:
        plan = replace(plan, limits=_limits(payload["throttle"]))
    if "server" in payload:
        plan = replace(plan, server=server_model_from_json(payload["server"], plan.server))
    if "outages" in payload:
        if payload["outages"] != []:
            raise ValueError("'outages' may only be set to [] (to end every outage); add one with 'outage'")
        plan = replace(plan, outages=())
    if "outage" in payload:
        plan = replace(plan, outages=(*plan.outages, _outage(payload["outage"], now)))
    return plan


def _limits(value: Any) -> ServiceProtection | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ValueError("'throttle' must be an object or null")
    defaults = asdict(ServiceProtection())
    unknown = set(value) - set(defaults)
    if unknown:
        raise ValueError(f"unknown throttle settings {sorted(unknown)}")
    for name, number in value.items():
        if not isinstance(number, int | float) or isinstance(number, bool) or number <= 0:
            raise ValueError(f"throttle setting {name!r} must be a positive number")
    return ServiceProtection(**{**defaults, **value})


def _outage(value: Any, now: float) -> Outage:
    if not isinstance(value, dict) or set(value) - {"duration_s", "starts_in_s", "retry_after_s"}:
        raise ValueError("'outage' takes duration_s, and optionally starts_in_s and retry_after_s")
    duration = value.get("duration_s")
    if not isinstance(duration, int | float) or isinstance(duration, bool) or duration <= 0:
        raise ValueError("outage 'duration_s' must be a positive number")
    starts_in = value.get("starts_in_s", 0)
    if not isinstance(starts_in, int | float) or starts_in < 0:
        raise ValueError("outage 'starts_in_s' must be a non-negative number")
    retry_after = value.get("retry_after_s")
    if retry_after is not None:
        retry_after = _non_negative_int(retry_after, "retry_after_s")
    return Outage(now + starts_in, now + starts_in + duration, retry_after)


def _non_negative_int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"{name!r} must be a non-negative integer")
    return value


class _UserBudget:
    """One user's sliding-window history: request start times and (end time, duration) pairs."""

    def __init__(self) -> None:
        self.starts: deque[float] = deque()
        self.executions: deque[tuple[float, float]] = deque()
        self.execution_ms = 0.0
        self.in_flight = 0

    def forget_before(self, horizon: float) -> None:
        while self.starts and self.starts[0] <= horizon:
            self.starts.popleft()
        while self.executions and self.executions[0][0] <= horizon:
            self.execution_ms -= self.executions.popleft()[1]


class FaultInjector:
    """Thread-safe gate every Web API request passes through."""

    def __init__(
        self, plan: FaultPlan, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._plan = plan
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._budgets: dict[str, _UserBudget] = {}

    @property
    def plan(self) -> FaultPlan:
        return self._plan

    def now(self) -> float:
        return self._clock()

    def replace_plan(self, plan: FaultPlan) -> None:
        with self._lock:
            self._plan = plan
            self._budgets.clear()

    @contextmanager
    def admit(self, user: str) -> Iterator[dict[str, str]]:
        """Gate one request: raises a 503/429 :class:`ODataError`, or yields rate-limit headers."""
        plan = self._plan
        if plan.latency_ms:
            self._sleep(plan.latency_ms / 1000)
        self._refuse_during_outage(plan)
        if plan.limits is None:
            yield plan.server.headers()
            return
        with self._lock:
            budget = self._budgets.setdefault(user, _UserBudget())
            started = self._clock()
            remaining = self._check(plan.limits, budget, started)
            budget.starts.append(started)
            budget.in_flight += 1
        try:
            yield {**plan.server.headers(), "x-ms-ratelimit-burst-remaining-xrm-requests": str(remaining)}
        finally:
            with self._lock:
                finished = self._clock()
                budget.in_flight -= 1
                duration_ms = (finished - started) * 1000
                budget.executions.append((finished, duration_ms))
                budget.execution_ms += duration_ms

    def spend_bulk_time(self, records: int) -> None:
        """Spend a bulk request's modelled server time (or time it out); see :mod:`emulator.server.limits`."""
        spend_bulk_time(self._plan.server, records, self._sleep)

    def _refuse_during_outage(self, plan: FaultPlan) -> None:
        now = self._clock()
        for outage in plan.outages:
            if outage.start <= now < outage.end:
                retry_after = outage.retry_after_s or max(1, math.ceil(outage.end - now))
                raise ThrottledError(
                    503, "", "The service is temporarily unavailable (emulated outage). Try again later.", retry_after
                )

    def _check(self, limits: ServiceProtection, budget: _UserBudget, now: float) -> int:
        """Raise 429 if this request breaks a limit; otherwise return the requests left in the window."""
        budget.forget_before(now - limits.window_s)
        if budget.in_flight >= limits.max_concurrent:
            raise ThrottledError(
                429,
                CONCURRENCY_CODE,
                f"Number of concurrent requests exceeded the limit of {limits.max_concurrent}.",
                1,
            )
        if len(budget.starts) >= limits.requests_per_window:
            # The request that frees a slot is the oldest still counted in the window.
            excess = len(budget.starts) - limits.requests_per_window
            wait = budget.starts[excess] + limits.window_s - now
            raise ThrottledError(
                429,
                REQUEST_COUNT_CODE,
                f"Number of requests exceeded the limit of {limits.requests_per_window} over time "
                f"window of {_seconds(limits.window_s)} seconds.",
                max(1, math.ceil(wait)),
            )
        if budget.execution_ms >= limits.execution_ms_per_window:
            wait = self._execution_wait(limits, budget, now)
            raise ThrottledError(
                429,
                EXECUTION_TIME_CODE,
                f"Combined execution time of incoming requests exceeded limit of "
                f"{limits.execution_ms_per_window:,}  milliseconds over time window of "
                f"{_seconds(limits.window_s)} seconds. Decrease number of concurrent requests or "
                f"reduce the duration of requests and try again later.",
                wait,
            )
        return limits.requests_per_window - len(budget.starts) - 1

    @staticmethod
    def _execution_wait(limits: ServiceProtection, budget: _UserBudget, now: float) -> int:
        total = budget.execution_ms
        for finished, duration_ms in budget.executions:
            total -= duration_ms
            if total < limits.execution_ms_per_window:
                return max(1, math.ceil(finished + limits.window_s - now))
        return max(1, math.ceil(limits.window_s))


def _seconds(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


class ThrottledError(ODataError):
    """A 429 or 503 that carries the ``Retry-After`` seconds to send with it."""

    def __init__(self, status: int, code: str, message: str, retry_after_s: int) -> None:
        super().__init__(status, code, message)
        self.retry_after_s = retry_after_s
