"""Benchmark: call logging from PBX events to Dataverse (CALL-07, CALL-14; DESIGN principle 3).

Prints:

1. events per second through the call tracker, the open-call file, the call
   logger and the durable outbox (real SQLite files; the outbox fsync'd on its
   writer thread, the wall time includes the last commit), and the
   ring-to-listener time inside the bridge (event folded + open call stored +
   logger returned), p50 / p99 (target p99 < 10 ms);
2. Dataverse requests per queued upsert and per logged call in steady state, the
   drainer sending each change as it comes (target ≤ 1.0 per upsert), against
   the emulator;
3. requests per logged call while a backlog of calls queued during an outage
   drains (target ≤ 0.01), with the existing drainer;
4. number-index lookup time and memory for 1,000,000 numbers (bench/number_index.py);
5. Dataverse requests per call at 1 call/s and at 20 calls/s (issue 11 §4; targets ≤ 1.0 and ≤ 0.2),
   a call's writes held in the outbox until it ends and the drainer lingering 100 ms to batch across
   calls, with and without the early write a pop-up needs, and the ring-to-pop-up time (p99 < 10 ms).
   Time is simulated (an injected clock: calls of 65 s are not waited for); the requests really go
   to the emulator, and each one advances the clock by ``--latency-ms``, the round trip assumed
   for Dataverse (the drainer sends one request at a time, so rows queue up meanwhile). One table,
   both rates and both write modes side by side: the whole run (its first 65 s only missed calls end,
   its tail only answered ones) and the steady window where calls start and end at the full rate.

    python bench/telephony.py [--calls 2000] [--steady 200] [--backlog 10000] [--numbers 1000000]
                              [--rate-seconds 300] [--latency-ms 150]
"""

from __future__ import annotations

import argparse
import heapq
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bridge.calls.logger import CallLogger, CrmEnvironment  # noqa: E402
from bridge.calls.open_calls import CallRecovery, OpenCallStore  # noqa: E402
from bridge.outbox.drain_thread import LINGER_S  # noqa: E402
from bridge.outbox.drainer import Drainer  # noqa: E402
from bridge.outbox.store import Outbox  # noqa: E402
from connectors.dataverse import DataverseClient, StaticToken  # noqa: E402
from domain.calls.events import CallEvent, Direction, EventKind, HangupCause  # noqa: E402
from domain.calls.system_settings import TelephonySystemSettings  # noqa: E402
from domain.calls.tracker import CallTracker  # noqa: E402
from domain.numbers import NumberPlan  # noqa: E402
from emulator.server import EmulatorServer, FaultPlan  # noqa: E402

ENV = "bench"
SYSTEM = TelephonySystemSettings(key="bench-pbx", plan=NumberPlan(98, "21"))
T0 = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)


def call_events(n: int, prefix: str = "c") -> Iterator[CallEvent]:
    """One answered inbound call: ring, answer, hang-up."""
    at = T0 + timedelta(seconds=n)
    call_id, number = f"{prefix}{n}", f"0912{n % 10_000_000:07d}"
    yield CallEvent(
        EventKind.RING,
        SYSTEM.key,
        call_id,
        at,
        direction=Direction.INBOUND,
        external_number=number,
        extension="101",
        line="trunk-1",
    )
    yield CallEvent(EventKind.ANSWER, SYSTEM.key, call_id, at + timedelta(seconds=5), extension="101")
    yield CallEvent(EventKind.HANGUP, SYSTEM.key, call_id, at + timedelta(seconds=65), cause=HangupCause.NORMAL)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


def bench_pipeline(calls: int, folder: Path) -> None:
    with Outbox(folder / "pipeline.db") as outbox, OpenCallStore(folder / "open-calls.db") as store:
        logger = CallLogger(outbox, {SYSTEM.key: [ENV]}, {ENV: CrmEnvironment(ENV)})
        tracker = CallTracker()
        recovery = CallRecovery(store, tracker)
        latencies_ms, events = [], 0
        started = time.perf_counter()
        for n in range(calls):
            for event in call_events(n):
                t0 = time.perf_counter()
                update = tracker.apply(event)
                if update is not None:
                    recovery.note(update)
                    logger.on_call(update, SYSTEM)
                latencies_ms.append((time.perf_counter() - t0) * 1000)
                events += 1
        outbox.flush()
        wall_s = time.perf_counter() - started
        print(
            f"pipeline        : {events:,} events in {wall_s:.2f} s = {events / wall_s:,.0f} events/s "
            f"({logger.stats.queued:,} upserts queued, outbox depth {outbox.depth():,})"
        )
        print(
            f"ring→listener   : p50 {percentile(latencies_ms, 0.5):.3f} ms, "
            f"p99 {percentile(latencies_ms, 0.99):.3f} ms (target p99 < 10 ms; "
            f"ratio to target {percentile(latencies_ms, 0.99) / 10:.3f})"
        )


def make_client(server: EmulatorServer) -> DataverseClient:
    return DataverseClient(
        base_url=server.origin,
        session=requests.Session(),
        token_provider=StaticToken("bench"),
        timeout=(5.0, 120.0),
        retry=None,
    )


def bench_steady(server: EmulatorServer, calls: int, folder: Path) -> None:
    client = make_client(server)
    with Outbox(folder / "steady.db") as outbox:
        logger = CallLogger(outbox, {SYSTEM.key: [ENV]}, {ENV: CrmEnvironment(ENV)})
        drainer = Drainer(outbox, client, ENV, batch_size=100)
        tracker = CallTracker()
        before = client.stats.requests
        for n in range(calls):
            for event in call_events(n, "s"):
                update = tracker.apply(event)
                if update is not None:
                    logger.on_call(update, SYSTEM)
                    drainer.drain_once()  # the drainer wakes on every put in the bridge
        used = client.stats.requests - before
    print(
        f"steady state    : {calls:,} calls, {logger.stats.queued:,} upserts, {used:,} requests = "
        f"{used / logger.stats.queued:.3f} per upsert (target ≤ 1.0), {used / calls:.3f} per call"
    )


def bench_backlog(server: EmulatorServer, calls: int, folder: Path) -> None:
    client = make_client(server)
    with Outbox(folder / "backlog.db") as outbox:
        logger = CallLogger(outbox, {SYSTEM.key: [ENV]}, {ENV: CrmEnvironment(ENV)})
        tracker = CallTracker()
        for n in range(calls):  # Dataverse unreachable: everything waits in the outbox, folded per call
            for event in call_events(n, "b"):
                update = tracker.apply(event)
                if update is not None:
                    logger.on_call(update, SYSTEM)
        depth = outbox.depth()
        drainer = Drainer(outbox, client, ENV, batch_size=1000)
        before = client.stats.requests
        started = time.perf_counter()
        drained = drainer.drain_until_empty(timeout_s=1800)
        used, wall_s = client.stats.requests - before, time.perf_counter() - started
    print(
        f"backlog         : {calls:,} calls ({logger.stats.queued:,} upserts folded into {depth:,} rows), "
        f"{used:,} requests = {used / calls:.4f} per call (target ≤ 0.01), drained in {wall_s:.1f} s"
        f"{'' if drained else ' (NOT fully drained)'}"
    )


class SimClock:
    """Epoch seconds that move only when the bench says so."""

    def __init__(self) -> None:
        self.now = T0.timestamp()

    def __call__(self) -> float:
        return self.now


def _taking(request: Callable[..., Any], clock: SimClock, latency_s: float, sent_at: list[float]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        sent_at.append(clock.now)
        try:
            return request(*args, **kwargs)
        finally:
            clock.now += latency_s

    return timed


ANSWERED_END_S, MISSED_END_S = 65, 8


def rate_events(calls: int, per_s: float, prefix: str) -> list[tuple[float, int, CallEvent]]:
    """Every event of ``calls`` calls starting ``1 / per_s`` apart, in time order: four in five answered
    (ring, answer after 5 s, hang-up after 65 s), one in five missed (ring, hang-up after 8 s)."""
    events: list[tuple[float, int, CallEvent]] = []
    for n in range(calls):
        at = T0 + timedelta(seconds=n / per_s)
        call_id, number = f"{prefix}{n}", f"0912{n % 10_000_000:07d}"
        ring = CallEvent(
            EventKind.RING,
            SYSTEM.key,
            call_id,
            at,
            direction=Direction.INBOUND,
            external_number=number,
            extension="101",
            line="trunk-1",
        )
        if n % 5 == 4:
            rest = [
                CallEvent(
                    EventKind.HANGUP,
                    SYSTEM.key,
                    call_id,
                    at + timedelta(seconds=MISSED_END_S),
                    cause=HangupCause.NO_ANSWER,
                )
            ]
        else:
            rest = [
                CallEvent(EventKind.ANSWER, SYSTEM.key, call_id, at + timedelta(seconds=5), extension="101"),
                CallEvent(
                    EventKind.HANGUP,
                    SYSTEM.key,
                    call_id,
                    at + timedelta(seconds=ANSWERED_END_S),
                    cause=HangupCause.NORMAL,
                ),
            ]
        events += [(event.at.timestamp(), len(events) + i, event) for i, event in enumerate([ring, *rest])]
    heapq.heapify(events)
    return [heapq.heappop(events) for _ in range(len(events))]


@dataclass(frozen=True)
class RateRun:
    """One rate run: the whole run, and the steady window where calls both start and end at the rate."""

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


def steady_window(calls: int, per_s: float) -> tuple[float, float]:
    """Seconds after the first ring during which calls end at the full rate: from the first answered call's
    end to the last missed call's (before it only the missed ones end, after it only the answered ones)."""
    return float(ANSWERED_END_S), (calls - 1) / per_s + MISSED_END_S


def bench_rate(
    server: EmulatorServer, calls: int, per_s: float, early: bool, latency_s: float, folder: Path
) -> RateRun:
    """Calls at ``per_s`` through tracker, open-call file, logger, outbox and a lingering drainer."""
    clock, client, sent_at = SimClock(), make_client(server), []
    for method in ("upsert", "execute", "upsert_multiple"):  # each request takes the assumed round trip
        setattr(client, method, _taking(getattr(client, method), clock, latency_s, sent_at))
    name = f"rate-{per_s:g}-{'early' if early else 'held'}"
    ended_at: list[float] = []
    with Outbox(folder / f"{name}.db", clock=clock) as outbox, OpenCallStore(folder / f"{name}-open.db") as store:
        logger = CallLogger(outbox, {SYSTEM.key: [ENV]}, {ENV: CrmEnvironment(ENV)}, early_write={SYSTEM.key: early})
        drainer = Drainer(outbox, client, ENV, batch_size=100, linger_s=LINGER_S)
        tracker = CallTracker()
        recovery = CallRecovery(store, tracker)
        ring_ms: list[float] = []
        drain_at = clock.now
        for at, _, event in rate_events(calls, per_s, name):
            while drain_at <= at:  # the drainer's rounds that fall before this event
                clock.now = max(clock.now, drain_at)
                report = drainer.drain_once()
                drain_at = clock.now + report.wait_s
            clock.now = max(clock.now, at)
            t0 = time.perf_counter()
            update = tracker.apply(event)
            if update is not None:
                recovery.note(update)
                logger.on_call(update, SYSTEM)
            if event.kind is EventKind.RING:
                ring_ms.append((time.perf_counter() - t0) * 1000)
            elif event.kind is EventKind.HANGUP:
                ended_at.append(at)
            drain_at = min(drain_at, clock.now)  # a commit wakes the drainer
        clock.now += 600  # past every hold: what is left goes out
        drainer.drain_until_empty(timeout_s=60)
    start, end = (T0.timestamp() + s for s in steady_window(calls, per_s))
    return RateRun(
        per_s,
        early,
        calls,
        drainer.stats.requests,
        sum(1 for at in ended_at if start <= at < end),
        sum(1 for at in sent_at if start <= at < end),
        percentile(ring_ms, 0.5),
        percentile(ring_ms, 0.99),
    )


def bench_rates(server: EmulatorServer, seconds: int, latency_ms: int, folder: Path) -> None:
    """Both rates and both write modes, printed side by side."""
    runs = [
        bench_rate(server, int(seconds * per_s), per_s, early, latency_ms / 1000, folder)
        for per_s in (1.0, 20.0)
        for early in (False, True)
    ]
    floor_s = LINGER_S + latency_ms / 1000
    print(
        f"requests per call: {LINGER_S * 1000:.0f} ms linger, {latency_ms} ms Dataverse round trip assumed; "
        f"steady = calls ending in the window where calls both start and end at the rate "
        f"({ANSWERED_END_S} s after the first ring to the last missed call's end); at most one request per "
        f"{floor_s * 1000:.0f} ms, so the floor is 1 / (rate x {floor_s:g} s)"
    )
    print(
        f"{'rate':>11} | {'writes':<20} | {'calls':>6} | {'requests':>8} | {'per call':>8} | "
        f"{'steady calls':>12} | {'steady req.':>11} | {'steady per call':>15} | {'target':>6} | "
        f"{'ring→pop-up p50 / p99 (< 10 ms)':>31}"
    )
    for run in runs:
        steady = run.steady_per_call
        print(
            f"{run.per_s:>4g} calls/s | {'early write at ring' if run.early else 'held to the end':<20} | "
            f"{run.calls:>6,} | {run.requests:>8,} | {run.per_call:>8.3f} | {run.steady_calls:>12,} | "
            f"{run.steady_requests:>11,} | {'-' if steady is None else f'{steady:.3f}':>15} | "
            f"{'≤ 1.0' if run.per_s <= 1 else '≤ 0.2':>6} | "
            f"{f'{run.ring_p50_ms:.3f} / {run.ring_p99_ms:.3f} ms':>31}"
        )


def bench_index(numbers: int) -> None:
    print(f"number index    : {numbers:,} numbers (bench/number_index.py)")
    subprocess.run(
        [sys.executable, str(ROOT / "bench" / "number_index.py"), str(numbers)],
        check=True,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="calls through the in-process pipeline")
    parser.add_argument("--steady", type=int, default=200, help="calls sent one change at a time")
    parser.add_argument("--backlog", type=int, default=10_000, help="calls queued while Dataverse is away")
    parser.add_argument("--numbers", type=int, default=1_000_000, help="numbers in the index benchmark")
    parser.add_argument(
        "--rate-seconds", type=int, default=300, help="simulated seconds of calls at each rate (1 and 20 calls/s)"
    )
    parser.add_argument(
        "--latency-ms", type=int, default=150, help="Dataverse round trip per request assumed in the rate runs"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        if args.calls:
            bench_pipeline(args.calls, folder)
        with EmulatorServer(folder / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
            if args.rate_seconds:
                bench_rates(server, args.rate_seconds, args.latency_ms, folder)
            if args.steady:
                bench_steady(server, args.steady, folder)
            if args.backlog:
                bench_backlog(server, args.backlog, folder)
    if args.numbers:
        bench_index(args.numbers)


if __name__ == "__main__":
    main()
