"""Reliability probe: is any call lost or doubled, whatever happens to the bridge (issue 11, §2)?

For each scenario a fresh world is built: the Dataverse emulator, an AMI server and an NS500 SMDR
console (:mod:`bench.reliability_lines`), and ``commsuite bridge run`` as a real process
(:mod:`bench.reliability_bridge`). Calls are placed on both links at a steady rate while the bridge is
disturbed ``--rounds`` times:

- ``kill -9``: SIGKILL, then a restart;
- ``SIGTERM``: a clean stop, then a restart;
- ``outage``: Dataverse answers 503 for ``--outage-s``;
- ``disk full``: every file write of the bridge fails for ``--outage-s`` (its file-size limit set to 0).

Then the probe waits until every call is placed and the outbox is empty, stops the bridge and counts
the phone calls in Dataverse by number, per scenario and link (:mod:`bench.reliability_count`): placed,
logged, lost, duplicated. Two kinds of missing call are counted apart. "On the wire at a kill / stop":
an SMDR call none of whose records the bridge journalled (it journals every line before parsing it)
although a kill or SIGTERM came after they were sent, so they were still in the socket when the bridge
went; an AMI call the bridge accepted no update of, with a kill or SIGTERM within WIRE_S of its events
(Asterisk sends an event once, to whoever is logged in). "Never reached": an AMI call that started and
ended while no bridge was logged in, or that began and was answered while none was and ended just after
a login, before the login snapshot, so that only the hang-ups of channels the bridge never saw reached
it. Like an Asterisk with ``cdr_manager`` and ``cdr_csv``, the AMI server sends a ``Cdr`` event at each
call's end and appends its ``Master.csv`` row, and the bridge runs the CDR catch-up: such calls are
recovered (the "from Cdr" and "from CSV" columns), so "never reached" counts only what even they
missed, and "marked, seen live" counts calls the bridge followed live whose record was nonetheless
written over from the PBX's (a bug whatever else). The SMDR console keeps what it prints while nobody is
logged in, so an SMDR call always reaches a bridge. "Not closed" counts records left open at the end;
"end on wire" those of them whose last SMDR record was on the wire at a kill or stop (they stay open
until the bridge's grace period closes them as estimated).

    python bench/reliability.py [--calls 60] [--rounds 3] [--period 3] [--outage-s 2] [--quick]
                                [--scenario "kill -9" ...]
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.reliability_bridge import AMI_KEY, BridgeProcess, bridge_toml, free_port  # noqa: E402
from bench.reliability_cdr import CdrBook  # noqa: E402
from bench.reliability_count import LINKS, ScenarioRun, count_calls, table, trail  # noqa: E402
from bench.reliability_lines import PlacedCall, ProbeAmi, ProbeSmdr  # noqa: E402
from connectors.dataverse import AlternateKey, DataverseClient, StaticToken, odata  # noqa: E402
from dataverse_schema.names import PhoneCall, TelephonySystem  # noqa: E402
from emulator.server import EmulatorServer, FaultPlan  # noqa: E402

SCENARIOS = ("kill -9", "SIGTERM", "outage", "disk full")


class PbxThread:
    """The AMI server and the SMDR console on an event loop in a background thread."""

    def __init__(self, master_csv: Path) -> None:
        self.master_csv = master_csv
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="probe-pbx", daemon=True)
        self.ami: ProbeAmi | None = None
        self.smdr: ProbeSmdr | None = None

    def __enter__(self) -> PbxThread:
        self._thread.start()
        ami = ProbeAmi(dialect="modern", secret="probe-ami-secret", cdr_manager=True)
        ami.cdr_book = CdrBook(self.master_csv)
        self.ami = self.call(ami.start())
        self.smdr = self.call(ProbeSmdr(password="PCCSMDR").start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.call(self.ami.stop())
        self.call(self.smdr.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(60)

    def place_all(self, calls: list[tuple[PlacedCall, PlacedCall]], spacing_s: float) -> threading.Event:
        """Place the (AMI, SMDR) pairs ``spacing_s`` apart; the event is set when every call is done."""
        done = threading.Event()
        asyncio.run_coroutine_threadsafe(self._place_all(calls, spacing_s, done), self._loop)
        return done

    async def _place_all(self, calls, spacing_s: float, done: threading.Event) -> None:
        tasks = []
        for ami_call, smdr_call in calls:
            tasks += [self.ami.place(ami_call), self.smdr.place(smdr_call)]
            await asyncio.sleep(spacing_s)
        await asyncio.gather(*tasks, return_exceptions=True)
        while self.smdr.count_held():
            await self.smdr.flush_held()
            await asyncio.sleep(0.1)
        done.set()

    def flush_smdr(self) -> None:
        self.call(self.smdr.flush_held())


def _calls(scenario_index: int, count: int) -> list[tuple[PlacedCall, PlacedCall]]:
    now = time.time()
    return [
        (
            PlacedCall("ami", f"09121{scenario_index}{i:05d}", i % 2 == 0, now),
            PlacedCall("smdr", f"09122{scenario_index}{i:05d}", i % 2 == 0, now),
        )
        for i in range(count)
    ]


def _seed(client: DataverseClient) -> None:
    for key in LINKS.values():
        client.upsert(
            TelephonySystem.SET,
            AlternateKey({TelephonySystem.SYSTEMKEY: key}),
            {
                TelephonySystem.NAME: f"Probe {key}",
                TelephonySystem.COUNTRYCODE: "98",
                TelephonySystem.CITYCODE: "21",
                TelephonySystem.MINIMUMDIGITS: 5,
            },
        )


def _disturb(scenario: str, bridge: BridgeProcess, crm: str, outage_s: float) -> str:
    """One disturbance; returns how it went, for the report."""
    if scenario in ("kill -9", "SIGTERM"):
        stop = bridge.stop(scenario)
        up_s = bridge.start()
        return f"{scenario}: exit {stop.returncode} after {stop.exit_s:.1f} s, links up {up_s:.1f} s later"
    if scenario == "outage":
        requests.post(
            f"{crm}/_emulator/faults",
            json={"outage": {"duration_s": outage_s}},
            headers={"Authorization": "Bearer probe"},
            timeout=5,
        ).raise_for_status()
        time.sleep(outage_s)
        return f"outage of {outage_s:g} s"
    bridge.fill_disk(True)
    time.sleep(outage_s)
    bridge.fill_disk(False)
    return f"disk full for {outage_s:g} s, bridge {'running' if bridge.running else 'EXITED'}"


def run_scenario(
    scenario: str, *, calls: int, rounds: int, period_s: float, outage_s: float, work: Path, index: int = 0
) -> ScenarioRun:
    """Build a fresh world, place ``calls`` calls per link over ``rounds`` disturbances, and count."""
    shutil.rmtree(work, ignore_errors=True)  # a kept folder from an earlier run would add its calls
    work.mkdir(parents=True)
    started = time.monotonic()
    placed = _calls(index, calls)
    with (
        EmulatorServer(work / "dv.db", faults=FaultPlan(latency_ms=5, limits=None), key_activation_s=0.0) as crm,
        PbxThread(work / "Master.csv") as pbx,
    ):
        client = _client(crm.origin)
        _seed(client)
        health_port = free_port()
        config = bridge_toml(work, crm.origin, pbx.ami.port, pbx.smdr.port, health_port, cdr_csv=pbx.master_csv)
        bridge = BridgeProcess(work, config, health_port)
        try:
            bridge.start()
            done = pbx.place_all(placed, spacing_s=rounds * period_s / calls)
            stops = []
            for round_index in range(rounds):
                time.sleep(period_s * (0.4 if round_index == 0 else 1.0))
                stops.append(_disturb(scenario, bridge, crm.origin, outage_s))
            _quiesce(bridge, done, pbx, still_open=lambda: _open_records(client))
            bridge.stop("SIGTERM")
        finally:
            if bridge.running:
                bridge.stop("kill -9")
        counts = count_calls(scenario, client, placed, bridge)
    by_number = {call.number: call for pair in placed for call in pair}
    return ScenarioRun(scenario, counts, stops, time.monotonic() - started, by_number, [s.at for s in bridge.stops])


def _quiesce(
    bridge: BridgeProcess,
    done: threading.Event,
    pbx: PbxThread,
    still_open: Callable[[], int],
    timeout_s: float = 30.0,
) -> None:
    """Wait until every call is placed, no live call is left, the outbox is empty and no logged call is still
    open in Dataverse (AMI), twice in a row. A restarted bridge closes the calls it restored only once its first
    snapshot has come, which a loaded machine delays: "not closed" counts what is still open at the deadline."""
    if not done.wait(timeout_s):
        raise TimeoutError("calls still being placed")
    pbx.flush_smdr()
    settled = 0
    deadline = time.monotonic() + timeout_s
    while settled < 2 and time.monotonic() < deadline:
        health = bridge.health() or {}
        quiet = health.get("live_calls", 1) == 0 and bridge.outbox_empty() and still_open() == 0
        settled = settled + 1 if quiet else 0
        time.sleep(0.5)


def _open_records(client: DataverseClient) -> int:
    """How many of the probe's AMI phone calls Dataverse still has open (not completed). SMDR calls whose
    last record was on the wire at a stop stay open until the bridge's grace period: they are not awaited."""
    rows = client.query(
        PhoneCall.SET,
        select=[PhoneCall.ACTIVITYID],
        filter=odata.and_(odata.eq(PhoneCall.SYSTEMKEY, AMI_KEY), odata.ne(PhoneCall.STATECODE, 1)),
    )
    return sum(1 for _ in rows)


def _client(origin: str) -> DataverseClient:
    return DataverseClient(
        base_url=origin, session=requests.Session(), token_provider=StaticToken("probe"), timeout=(2.0, 10.0)
    )


def probe(
    scenarios: tuple[str, ...],
    *,
    calls: int,
    rounds: int,
    period_s: float,
    outage_s: float,
    work: Path,
    say: Callable[[str], None] = print,
) -> list[ScenarioRun]:
    runs = []
    for index, scenario in enumerate(scenarios):
        folder = work / scenario.replace(" ", "-")
        run = run_scenario(
            scenario, calls=calls, rounds=rounds, period_s=period_s, outage_s=outage_s, work=folder, index=index
        )
        say(f"{scenario}: {run.seconds:.0f} s; " + "; ".join(run.stops))
        for count in run.counts:
            if count.end_only:
                say(f"  {count.link}: {count.end_only} of {count.never_reached} never reached: only their hang-ups")
            if count.from_cdr or count.from_csv:
                say(f"  {count.link}: recovered {count.from_cdr} from Cdr events, {count.from_csv} from Master.csv")
            if count.lost_numbers or count.duplicated_numbers:
                say(f"  {count.link}: lost {count.lost_numbers[:8]} duplicated {count.duplicated_numbers[:8]}")
            for number in count.lost_numbers[:8]:
                say(f"    {number}: {trail(run, number)}")
            if count.marked_seen_live_numbers:
                say(f"  {count.link}: marked, seen live {count.marked_seen_live_numbers[:8]}")
            for number in count.marked_seen_live_numbers[:8]:
                say(f"    {number}: {trail(run, number)}")
        runs.append(run)
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=60, help="calls per link per scenario (default 60)")
    parser.add_argument("--rounds", type=int, default=3, help="disturbances per scenario (default 3)")
    parser.add_argument("--period", type=float, default=3.0, help="seconds between disturbances (default 3)")
    parser.add_argument("--outage-s", type=float, default=2.0, help="length of an outage or a full disk (default 2)")
    parser.add_argument("--scenario", action="append", choices=SCENARIOS, help="run only these (repeatable)")
    parser.add_argument("--quick", action="store_true", help="20 calls, one round of each")
    parser.add_argument("--keep", type=Path, help="keep the work files (logs, outbox) in this folder")
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.rounds = 20, 1
    scenarios = tuple(args.scenario or SCENARIOS)
    with tempfile.TemporaryDirectory(prefix="reliability-") as scratch:
        work = args.keep or Path(scratch)
        runs = probe(
            scenarios, calls=args.calls, rounds=args.rounds, period_s=args.period, outage_s=args.outage_s, work=work
        )
    print()
    print(table(runs))
    bad = sum(c.lost + c.duplicated for run in runs for c in run.counts)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
