"""Dataverse requests per call at a given call rate (issue 11 §4), for ``bench/telephony.py``.

The workload is a call centre's, drawn from a seeded random generator so runs compare: calls arrive as a
Poisson stream at the rate; four in five are answered (ringing 2-12 s, then talk time exponential with a
60 s mean, capped at 10 min), one in five is missed (ringing 5-30 s, then the caller gives up). Nothing
lines up by construction: two writes share a request only when the calls really end close together.

Time is simulated (an injected clock): the events go through the real tracker, open-call file, call
logger, outbox and a lingering drainer, and the requests really go to the emulator; each request
advances the clock by the assumed Dataverse round trip. The steady window starts once the calls that
began before it have (nearly all) ended, so a run reports its cold start apart from its steady state.
"""

from __future__ import annotations

import heapq
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bridge.calls.logger import CallLogger, CrmEnvironment
from bridge.calls.open_calls import CallRecovery, OpenCallStore
from bridge.outbox.drain_thread import LINGER_S
from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox
from connectors.dataverse import DataverseClient
from domain.calls.events import CallEvent, Direction, EventKind, HangupCause
from domain.calls.system_settings import TelephonySystemSettings
from domain.calls.tracker import CallTracker
from domain.numbers import NumberPlan

ENV = "bench"
SYSTEM = TelephonySystemSettings(key="bench-pbx", plan=NumberPlan(98, "21"))
T0 = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)

ANSWERED_SHARE = 0.8
ANSWER_AFTER_S = (2.0, 12.0)
TALK_MEAN_S, TALK_CAP_S = 60.0, 600.0
GIVE_UP_AFTER_S = (5.0, 30.0)
#: The steady window opens this long after the first ring, when calls end at 99 % of the rate they start.
WARM_UP_S = ANSWER_AFTER_S[1] + TALK_MEAN_S * math.log(100)


@dataclass(frozen=True)
class CallShape:
    """When one call rings, is answered (``None``: missed) and ends, in seconds after the first ring."""

    ring_s: float
    answer_s: float | None
    end_s: float


def call_shapes(seconds: float, per_s: float, seed: int) -> list[CallShape]:
    """The calls ringing during ``seconds`` at ``per_s`` on average, as the seeded generator draws them."""
    rng, shapes, at = random.Random(seed), [], 0.0
    while at < seconds:
        if rng.random() < ANSWERED_SHARE:
            answer = at + rng.uniform(*ANSWER_AFTER_S)
            shapes.append(CallShape(at, answer, answer + min(TALK_CAP_S, rng.expovariate(1 / TALK_MEAN_S))))
        else:
            shapes.append(CallShape(at, None, at + rng.uniform(*GIVE_UP_AFTER_S)))
        at += rng.expovariate(per_s)
    return shapes


def shape_events(shape: CallShape, n: int, prefix: str) -> list[CallEvent]:
    """Ring, (answer,) hang-up of call ``n``, as the PBX adapter would report them."""
    call_id, number = f"{prefix}{n}", f"0912{n % 10_000_000:07d}"
    at = [T0 + timedelta(seconds=s) for s in (shape.ring_s, shape.answer_s or shape.end_s, shape.end_s)]
    ring = CallEvent(
        EventKind.RING,
        SYSTEM.key,
        call_id,
        at[0],
        direction=Direction.INBOUND,
        external_number=number,
        extension="101",
        line="trunk-1",
    )
    if shape.answer_s is None:
        return [ring, CallEvent(EventKind.HANGUP, SYSTEM.key, call_id, at[2], cause=HangupCause.NO_ANSWER)]
    return [
        ring,
        CallEvent(EventKind.ANSWER, SYSTEM.key, call_id, at[1], extension="101"),
        CallEvent(EventKind.HANGUP, SYSTEM.key, call_id, at[2], cause=HangupCause.NORMAL),
    ]


def rate_events(shapes: list[CallShape], prefix: str) -> list[CallEvent]:
    """Every event of every call, in time order (ties in the order the calls rang)."""
    queue = [
        (event.at.timestamp(), n, i, event)
        for n, shape in enumerate(shapes)
        for i, event in enumerate(shape_events(shape, n, prefix))
    ]
    heapq.heapify(queue)
    return [heapq.heappop(queue)[3] for _ in range(len(queue))]


@dataclass(frozen=True)
class RateRun:
    """One rate run: the whole run (cold start and drain included) and its steady window."""

    per_s: float
    early: bool
    calls: int
    requests: int
    steady_calls: int
    steady_requests: int
    ring_p50_ms: float
    ring_p99_ms: float

    @property
    def per_call(self) -> float:
        return self.requests / self.calls

    @property
    def steady_per_call(self) -> float | None:
        return self.steady_requests / self.steady_calls if self.steady_calls else None


class SimClock:
    """Epoch seconds that move only when the bench says so."""

    def __init__(self) -> None:
        self.now = T0.timestamp()

    def __call__(self) -> float:
        return self.now


def taking(request: Callable[..., Any], clock: SimClock, latency_s: float, sent_at: list[float]) -> Callable[..., Any]:
    """``request``, noting when it was sent and advancing the clock by the round trip."""

    def timed(*args: Any, **kwargs: Any) -> Any:
        sent_at.append(clock.now)
        try:
            return request(*args, **kwargs)
        finally:
            clock.now += latency_s

    return timed


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def bench_rate(
    client: DataverseClient, seconds: float, per_s: float, early: bool, latency_s: float, folder: Path, seed: int
) -> RateRun:
    """Calls at ``per_s`` for ``seconds`` through tracker, open-call file, logger, outbox and a lingering drainer."""
    clock, sent_at, ended_at = SimClock(), [], []
    for method in ("upsert", "execute", "upsert_multiple"):  # each request takes the assumed round trip
        setattr(client, method, taking(getattr(client, method), clock, latency_s, sent_at))
    name = f"rate-{per_s:g}-{'early' if early else 'held'}-{latency_s * 1000:.0f}"
    shapes = call_shapes(seconds, per_s, seed)
    with Outbox(folder / f"{name}.db", clock=clock) as outbox, OpenCallStore(folder / f"{name}-open.db") as store:
        logger = CallLogger(outbox, {SYSTEM.key: [ENV]}, {ENV: CrmEnvironment(ENV)}, early_write={SYSTEM.key: early})
        drainer = Drainer(outbox, client, ENV, batch_size=100, linger_s=LINGER_S)
        tracker, ring_ms, drain_at = CallTracker(), [], clock.now
        recovery = CallRecovery(store, tracker)
        for event in rate_events(shapes, name):
            at = event.at.timestamp()
            while drain_at <= at:  # the drainer's rounds that fall before this event
                clock.now = max(clock.now, drain_at)
                drain_at = clock.now + drainer.drain_once().wait_s
            clock.now = max(clock.now, at)
            started = time.perf_counter()
            update = tracker.apply(event)
            if update is not None:
                recovery.note(update)
                logger.on_call(update, SYSTEM)
            if event.kind is EventKind.RING:
                ring_ms.append((time.perf_counter() - started) * 1000)
            elif event.kind is EventKind.HANGUP:
                ended_at.append(at)
            drain_at = min(drain_at, clock.now)  # a commit wakes the drainer
        clock.now += 600  # past every hold: what is left goes out
        drainer.drain_until_empty(timeout_s=60)
    start, end = T0.timestamp() + WARM_UP_S, T0.timestamp() + seconds
    return RateRun(
        per_s,
        early,
        len(shapes),
        drainer.stats.requests,
        sum(1 for at in ended_at if start <= at < end),
        sum(1 for at in sent_at if start <= at < end),
        percentile(ring_ms, 0.5),
        percentile(ring_ms, 0.99),
    )
