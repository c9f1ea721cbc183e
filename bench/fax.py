"""Benchmark: what a fax costs in Dataverse requests, and what job-status polling costs (issue 13).

Runs the Dataverse emulator (seeded as ``commsuite demo`` seeds it) and the
fax services the bridge hosts (sender, tracker, receiver) against the real
hylafax-server on localhost:4559 when it runs (started if installed and we
are root), else the stand-in hfaxd of ``emulator.hfaxd`` (printed so). The
services' sink is the Dataverse client itself: one upsert per outbox item,
which is the most the bridge's drainer sends (it batches a backlog).

Printed:
  sent      Dataverse requests per fax sent: the sender's round (query, claim,
            notes, queued write) and the first status round;
  received  Dataverse requests per fax received: the receiver's store round
            and the round that finds it stored and marks it processed;
  polling   tracker rounds over N open jobs (default 1,000): requests to
            hfaxd (sessions and commands) and to Dataverse; the first round
            writes each job's status once, the steady round (nothing changed)
            is the cost of every later poll.

    python bench/fax.py [--faxes 20] [--open-jobs 1000] [--stand-in]
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.dataverse import DataverseClient, RecordId, StaticToken, deterministic_id  # noqa: E402
from connectors.fax.hylafax import HylaFaxServer, HylaFaxSettings  # noqa: E402
from connectors.fax.hylafax import session as hfaxd_session  # noqa: E402
from dataverse_schema.names import Fax  # noqa: E402
from domain.fax import FaxDocument, OutgoingFax  # noqa: E402
from domain.fax.dialstring import DialParts  # noqa: E402
from domain.numbers import NumberPlan  # noqa: E402
from emulator.fax_scenario import SERVER_KEY, FaxHost, configure_crm, fax_host, pending_fax, place_received  # noqa: E402
from emulator.fax_tiff import received_fax_tiff  # noqa: E402
from emulator.hfaxd import StandInHfaxd  # noqa: E402
from emulator.seed import seed  # noqa: E402
from emulator.server import EmulatorServer  # noqa: E402
from services.fax import rows  # noqa: E402
from services.fax.directory import FaxDirectory  # noqa: E402
from services.fax.receiving import FaxReceiver  # noqa: E402
from services.fax.sending import FaxSender  # noqa: E402
from services.fax.tracking import FaxTracker  # noqa: E402
from services.matching.sync import NumberSync  # noqa: E402
from services.matching.tables import NumberUse, default_tables  # noqa: E402

TOKEN = "bench-token"


class HfaxdCounter:
    """Counts hfaxd sessions and command lines by wrapping the connector's session (real server or stand-in)."""

    def __init__(self) -> None:
        self.sessions = self.commands = 0

    @contextlib.contextmanager
    def installed(self) -> Iterator[HfaxdCounter]:
        cls = hfaxd_session.HylaFaxSession
        init, command = cls.__init__, cls.command

        def counted_init(session, *args, **kwargs) -> None:
            self.sessions += 1
            init(session, *args, **kwargs)

        def counted_command(session, *args, **kwargs):
            self.commands += 1
            return command(session, *args, **kwargs)

        cls.__init__, cls.command = counted_init, counted_command
        try:
            yield self
        finally:
            cls.__init__, cls.command = init, command

    def reset(self) -> None:
        self.sessions = self.commands = 0


def _clock() -> datetime:
    return datetime.now(UTC)


def _requests(client: DataverseClient, work: Callable[[], object]) -> int:
    before = client.stats.requests
    work()
    return client.stats.requests - before


def bench_sent(client: DataverseClient, connector: HylaFaxServer, faxes: int) -> tuple[float, list[str]]:
    sink = lambda es, ref, body: client.upsert(es, ref, body)  # noqa: E731
    contact, _ = configure_crm(client, lambda _text: None)
    ids = [pending_fax(client, contact) for _ in range(faxes)]
    directory = FaxDirectory.load(client, [SERVER_KEY])
    sender = FaxSender(client, connector, SERVER_KEY, sink, clock=_clock, per_round=faxes)
    tracker = FaxTracker(client, connector, SERVER_KEY, sink, clock=_clock)
    spent = _requests(client, lambda: sender.run_once(directory))
    spent += _requests(client, tracker.run_once)
    jobs = [client.retrieve(Fax.SET, RecordId(i), select=[Fax.JOBID])[Fax.JOBID] for i in ids]
    if not all(jobs):
        raise RuntimeError("not every benchmark fax got a job id")
    return spent / faxes, jobs


def bench_received(client: DataverseClient, connector: HylaFaxServer, host: FaxHost, faxes: int) -> float:
    sink = lambda es, ref, body: client.upsert(es, ref, body)  # noqa: E731
    numbers = NumberSync(client, "bench", NumberPlan(), default_tables(NumberUse.FAX))
    numbers.refresh_now()
    names = [place_received(host) for _ in range(faxes)]
    receiver = FaxReceiver(client, connector, SERVER_KEY, sink, numbers, tiff2pdf=None)
    entry = FaxDirectory.load(client, [SERVER_KEY]).by_key(SERVER_KEY)
    try:
        spent = _requests(client, lambda: receiver.run_once(entry))
        spent += _requests(client, lambda: receiver.run_once(entry))
    finally:
        if host.spool is not None:
            for name in names:
                (host.spool / "recvq" / name).unlink(missing_ok=True)
    return spent / faxes


def open_jobs(client: DataverseClient, connector: HylaFaxServer, host: FaxHost, count: int) -> list[str]:
    """``count`` jobs waiting on the server and their fax rows (status Queued) in the CRM."""
    if host.stand_in is not None:
        first = int(max(host.stand_in.jobs, key=int, default="0")) + 1
        host.stand_in.add_waiting_jobs(count)
        job_ids = [str(first + i) for i in range(count)]
    else:
        page = FaxDocument.of("page.tif", received_fax_tiff("", "", "", pages=1))
        job_ids = [
            connector.submit(
                OutgoingFax(key=f"bench-open-{i}", dial=DialParts(number="02112345678"), documents=(page,))
            ).job_id
            for i in range(count)
        ]
    client.upsert_multiple(
        Fax.SET,
        Fax.TABLE,
        [
            (
                RecordId(deterministic_id("bench-open-fax", job)),
                {
                    Fax.SUBJECT: f"Open job {job}",
                    Fax.FAXNUMBER: "02112345678",
                    Fax.FAXSTATUS: rows.QUEUED,
                    Fax.JOBID: job,
                    Fax.SERVERKEY: SERVER_KEY,
                    Fax.DIRECTIONCODE: True,
                },
            )
            for job in job_ids
        ],
    )
    return job_ids


@contextlib.contextmanager
def _server(stand_in: bool) -> Iterator[FaxHost]:
    if not stand_in:
        with fax_host(lambda text: print(f"# {text}")) as host:
            yield host
        return
    with StandInHfaxd() as server:
        yield FaxHost(
            "127.0.0.1", server.port, f"stand-in hfaxd at 127.0.0.1:{server.port} (--stand-in)", stand_in=server
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--faxes", type=int, default=20)
    parser.add_argument("--open-jobs", type=int, default=1000)
    parser.add_argument("--stand-in", action="store_true", help="use the stand-in hfaxd even if HylaFAX runs")
    args = parser.parse_args()
    counter = HfaxdCounter()
    with (
        tempfile.TemporaryDirectory() as tmp,
        _server(args.stand_in) as host,
        EmulatorServer(Path(tmp) / "crm.db", token=TOKEN, key_activation_s=0.0) as emulator,
        requests.Session() as session,
        counter.installed(),
    ):
        seed(emulator.store)
        client = DataverseClient(base_url=emulator.origin, session=session, token_provider=StaticToken(TOKEN))
        connector = HylaFaxServer(
            HylaFaxSettings(host=host.host, port=host.port, user="commsuite-bench", read_timeout_s=60)
        )
        print(f"fax server: {host.label}")
        per_sent, sent_jobs = bench_sent(client, connector, args.faxes)
        print(f"sent      {per_sent:.1f} Dataverse requests per fax ({args.faxes} faxes, sender + first status round)")
        print(
            f"received  {bench_received(client, connector, host, args.faxes):.1f} Dataverse requests per fax "
            f"({args.faxes} faxes, store round + mark round)"
        )
        started = time.monotonic()
        jobs = open_jobs(client, connector, host, args.open_jobs)
        print(f"# {args.open_jobs} open jobs set up in {time.monotonic() - started:.1f} s")
        tracker = FaxTracker(
            client, connector, SERVER_KEY, lambda es, ref, body: client.upsert(es, ref, body), clock=_clock
        )
        try:
            for label in ("first round", "steady round"):
                counter.reset()
                started = time.monotonic()
                spent = _requests(client, tracker.run_once)
                print(
                    f"polling   {len(jobs) + len(sent_jobs)} open jobs, {label}: hfaxd {counter.sessions} "
                    f"session(s), {counter.commands} commands; Dataverse {spent} requests; "
                    f"{time.monotonic() - started:.2f} s"
                )
        finally:
            if host.spool is not None:  # the real server: cancel only the jobs this run submitted
                for job in [*sent_jobs, *jobs]:
                    connector.cancel(job)


if __name__ == "__main__":
    main()
