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
   The workload and the simulated clock are described in bench/telephony_rates.py. One table, both
   rates and both write modes side by side: the whole run (with its cold start) and the steady window;
   ``--sweep-ms`` adds 20 calls/s runs at other Dataverse round trips.

    python bench/telephony.py [--calls 2000] [--steady 200] [--backlog 10000] [--numbers 1000000]
                              [--rate-seconds 600] [--latency-ms 150] [--sweep-ms 20 300]
"""

from __future__ import annotations

import argparse
import logging
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.telephony_rates import WARM_UP_S, RateRun, bench_rate  # noqa: E402
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


def bench_rates(server: EmulatorServer, seconds: int, latency_ms: int, sweep: list[int], folder: Path) -> None:
    """Both rates and both write modes side by side, then 20 calls/s at other round trips."""
    runs = [
        bench_rate(make_client(server), seconds, per_s, early, latency_ms / 1000, folder, seed=int(per_s))
        for per_s in (1.0, 20.0)
        for early in (False, True)
    ]
    floor_s = LINGER_S + latency_ms / 1000
    print(
        f"requests per call: {LINGER_S * 1000:.0f} ms linger, {latency_ms} ms Dataverse round trip assumed, "
        f"{seconds} s of calls per run (Poisson arrivals, 4 in 5 answered; bench/telephony_rates.py); steady = "
        f"the calls ending after the first {WARM_UP_S:.0f} s and the requests sent meanwhile; at most one "
        f"request per {floor_s * 1000:.0f} ms, so at 20 calls/s the floor is {1 / (20 * floor_s):.3f}"
    )
    print(
        f"{'rate':>11} | {'writes':<20} | {'calls':>6} | {'requests':>8} | {'per call':>8} | "
        f"{'steady calls':>12} | {'steady req.':>11} | {'steady per call':>15} | {'target':>6} | "
        f"{'ring→pop-up p50 / p99 (< 10 ms)':>31}"
    )
    for run in runs:
        print_rate_row(run, f"{'early write at ring' if run.early else 'held to the end':<20}")
    for sweep_ms in sweep:
        run = bench_rate(make_client(server), seconds, 20.0, False, sweep_ms / 1000, folder, seed=20)
        print_rate_row(run, f"{f'held, {sweep_ms} ms trip':<20}")


def print_rate_row(run: RateRun, writes: str) -> None:
    steady = run.steady_per_call
    print(
        f"{run.per_s:>4g} calls/s | {writes} | {run.calls:>6,} | {run.requests:>8,} | {run.per_call:>8.3f} | "
        f"{run.steady_calls:>12,} | {run.steady_requests:>11,} | {'-' if steady is None else f'{steady:.3f}':>15} | "
        f"{'≤ 1.0' if run.per_s <= 1 else '≤ 0.2':>6} | {f'{run.ring_p50_ms:.3f} / {run.ring_p99_ms:.3f} ms':>31}"
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
        "--rate-seconds", type=int, default=600, help="simulated seconds of calls at each rate (1 and 20 calls/s)"
    )
    parser.add_argument(
        "--sweep-ms",
        type=int,
        nargs="*",
        default=[],
        help="also run 20 calls/s (held writes) at these Dataverse round trips, e.g. --sweep-ms 20 50 300",
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
                bench_rates(server, args.rate_seconds, args.latency_ms, args.sweep_ms, folder)
            if args.steady:
                bench_steady(server, args.steady, folder)
            if args.backlog:
                bench_backlog(server, args.backlog, folder)
    if args.numbers:
        bench_index(args.numbers)


if __name__ == "__main__":
    main()
