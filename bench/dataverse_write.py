"""Benchmark: writing many records to Dataverse, our bulk path against Microsoft's SDK, calm and throttled.

Runs the local emulator over TLS with 20 ms of latency a request and the modelled server
time of bulk messages (default 10 ms a record: emulator/server/limits.py), and writes N
records (default 10,000 and 100,000) each way:

  (a) bulk    -- our client's ``upsert_multiple``: a probe chunk, then chunks sized to
                 about 10 s of server time sent in parallel up to ``x-ms-dop-hint``;
  (b) ms-sdk  -- Microsoft's PowerPlatform-Dataverse-Client ``records.create`` in chunks
                 of 1,000 one after another (one call with 100,000 records would run past
                 the 2-minute request timeout), each resent after ``Retry-After`` on a 429
                 as Microsoft's guidance says (the SDK itself does not retry);
  (c) single  -- our client, one upsert request per record (only with --paths single,...).

"calm" runs under the real service-protection limits; "throttled" under the real
proportions (20 requests and 4 s of execution time per second) in a 10-second window, so
the parallel path meets 429s. It prints per run the requests, 429s, wall time and
records lost (that should exist but don't), and the wall-time ratio SDK / ours.

    python bench/dataverse_write.py [--records 10000,100000] [--runs calm,throttled]
                                    [--paths bulk,ms-sdk] [--ms-per-record 10]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from connectors.dataverse import DataverseClient, RecordId, StaticToken, deterministic_id, odata  # noqa: E402
from emulator.server import EmulatorServer, FaultPlan, ServiceProtection  # noqa: E402
from emulator.server.limits import ServerModel  # noqa: E402

TOKEN = "bench-token"
#: The 429 runs: the real limits' proportions (6,000 requests and 1,200 s of execution
#: time per 300 s) in a 10-second window, so a run crosses many windows.
THROTTLED = ServiceProtection(requests_per_window=200, window_s=10.0, execution_ms_per_window=40_000)
SDK_CHUNK = 1000


@dataclass
class Run:
    path: str
    records: int
    throttled: bool
    requests: int
    replies_429: int
    wall_s: float
    lost: int
    error: str = ""


def records(tag: str, count: int) -> list[dict[str, str]]:
    return [{"firstname": f"Bench {n}", "lastname": tag, "mobilephone": f"+98912{n:07d}"} for n in range(count)]


def write_single(client: DataverseClient, tag: str, count: int) -> None:
    for n, body in enumerate(records(tag, count)):
        client.upsert("contacts", RecordId(deterministic_id("bench", tag, str(n))), body)


def write_bulk(client: DataverseClient, tag: str, count: int) -> None:
    rows = [(RecordId(deterministic_id("bench", tag, str(n))), body) for n, body in enumerate(records(tag, count))]
    client.upsert_multiple("contacts", "contact", rows)


class _BenchCredential:
    """An ``azure.core`` token credential handing the SDK the emulator's token."""

    def get_token(self, *scopes: str, **kwargs: object):
        from azure.core.credentials import AccessToken

        return AccessToken(TOKEN, int(time.time()) + 3600)


def write_with_microsoft_sdk(server: EmulatorServer, tag: str, count: int) -> None:
    from PowerPlatform.Dataverse.client import DataverseClient as MicrosoftClient
    from PowerPlatform.Dataverse.core.errors import HttpError

    rows = records(tag, count)
    with MicrosoftClient(server.origin, _BenchCredential()) as client:
        for start in range(0, count, SDK_CHUNK):
            while True:
                try:
                    client.records.create("contact", rows[start : start + SDK_CHUNK])
                    break
                except HttpError as exc:
                    if exc.status_code != 429:
                        raise
                    time.sleep(exc.details.get("retry_after") or 1)


def count_tag(client: DataverseClient, tag: str) -> int:
    return client.count("contacts", odata.eq("lastname", tag))


def measure(
    server: EmulatorServer,
    session: requests.Session,
    path: str,
    throttled: bool,
    count: int,
    latency_ms: int,
    model: ServerModel,
) -> Run:
    tag = f"{path}-{count}-{'429' if throttled else 'ok'}"
    client = DataverseClient(base_url=server.origin, session=session, token_provider=StaticToken(TOKEN))
    limits = THROTTLED if throttled else ServiceProtection()
    server.faults.replace_plan(FaultPlan(latency_ms=latency_ms, limits=limits, server=model))
    server.traffic.reset()
    started = time.perf_counter()
    error = ""
    try:
        writers: dict[str, Callable[[], object]] = {
            "single": lambda: write_single(client, tag, count),
            "bulk": lambda: write_bulk(client, tag, count),
            "ms-sdk": lambda: write_with_microsoft_sdk(server, tag, count),
        }
        writers[path]()
    except Exception as exc:  # the benchmark reports a failed path instead of stopping
        error = f"{type(exc).__name__}: {str(exc)[:120]}"
    wall = time.perf_counter() - started
    requests_sent, replies_429 = server.traffic.count(), server.traffic.count(429)
    server.faults.replace_plan(FaultPlan.none())
    lost = count - count_tag(client, tag)
    return Run(path, count, throttled, requests_sent, replies_429, wall, lost, error)


def print_table(runs: list[Run]) -> None:
    print(f"\n{'records':>8} {'run':10} {'path':7} {'requests':>9} {'429s':>6} {'wall s':>9} {'lost':>7}  note")
    for run in runs:
        print(
            f"{run.records:8d} {'throttled' if run.throttled else 'calm':10} {run.path:7} {run.requests:9d} "
            f"{run.replies_429:6d} {run.wall_s:9.1f} {run.lost:7d}  {run.error}"
        )
    print("\nwall-time ratio, Microsoft's SDK / ours (higher: ours is faster):")
    for run in runs:
        if run.path != "bulk":
            continue
        for other in runs:
            if (other.path, other.records, other.throttled) == ("ms-sdk", run.records, run.throttled):
                print(
                    f"  {run.records:7,d} records {'throttled' if run.throttled else 'calm':10} "
                    f"{other.wall_s / run.wall_s:6.2f}x   (lost: ours {run.lost}, SDK {other.lost})"
                )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", default="10000,100000", help="comma-separated record counts")
    parser.add_argument("--runs", default="calm,throttled", help="calm, throttled or both")
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--ms-per-record", type=float, default=ServerModel().ms_per_record)
    parser.add_argument("--paths", default="bulk,ms-sdk")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    paths = args.paths.split(",")
    counts = [int(text) for text in args.records.split(",")]
    modes = [{"calm": False, "throttled": True}[text] for text in args.runs.split(",")]
    model = ServerModel(ms_per_record=args.ms_per_record)
    with tempfile.TemporaryDirectory(prefix="commsuite-bench-") as workdir:
        server = EmulatorServer(Path(workdir) / "dataverse.sqlite", tls=True, token=TOKEN, faults=FaultPlan.none())
        with server, requests.Session() as session:
            session.verify = str(server.ca_file)
            os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca_file)  # for the Microsoft SDK's own requests
            print(
                f"emulator {server.url} over TLS; {args.latency_ms} ms latency a request; "
                f"{model.ms_per_record:g} ms of server time a bulk record; dop hint {model.dop_hint}"
            )
            runs = []
            for count in counts:
                for throttled in modes:
                    for path in paths:
                        run = measure(server, session, path, throttled, count, args.latency_ms, model)
                        print(
                            f"  {count:7d} {path:7} {'throttled' if throttled else 'calm':9}: "
                            f"{run.wall_s:8.1f} s, {run.requests} requests, {run.replies_429} 429s, "
                            f"{run.lost} lost {run.error}",
                            flush=True,
                        )
                        runs.append(run)
            print_table(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
