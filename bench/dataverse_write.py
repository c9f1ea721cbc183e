"""Benchmark: writing many records to Dataverse, three ways, with and without 429s.

Runs the local emulator over TLS with injected latency (default 20 ms a request)
and writes N records (default 10,000) each way:

  (a) single  — our client, one upsert request per record;
  (b) bulk    — our client, ``UpsertMultiple`` in chunks (``$batch`` fallback);
  (c) ms-sdk  — Microsoft's PowerPlatform-Dataverse-Client, its bulk ``CreateMultiple``.

Then it repeats the three with service-protection limits low enough that every
path meets 429s. It prints, per run, requests sent, 429s seen, wall time and
records lost (records that should exist but don't), and the wall-time ratios.

    python bench/dataverse_write.py [--records 10000] [--latency-ms 20]
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

TOKEN = "bench-token"
#: Limits for the 429 runs: a little under the single path's natural request rate, and an
#: execution-time budget that the bulk paths' large requests use up within a few calls.
THROTTLED = ServiceProtection(requests_per_window=200, window_s=5.0, execution_ms_per_window=1000)


@dataclass
class Run:
    path: str
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

    with MicrosoftClient(server.origin, _BenchCredential()) as client:
        client.records.create("contact", records(tag, count))


def count_tag(client: DataverseClient, tag: str) -> int:
    return client.count("contacts", odata.eq("lastname", tag))


def measure(server: EmulatorServer, session: requests.Session, path: str, throttled: bool, count: int,
            latency_ms: int) -> Run:
    tag = f"{path}-{'429' if throttled else 'ok'}"
    client = DataverseClient(base_url=server.origin, session=session, token_provider=StaticToken(TOKEN))
    limits = THROTTLED if throttled else None
    server.faults.replace_plan(FaultPlan(latency_ms=latency_ms, limits=limits))
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
    return Run(path, throttled, requests_sent, replies_429, wall, lost, error)


def print_table(runs: list[Run]) -> None:
    print(f"\n{'path':8} {'429s on':8} {'requests':>9} {'429 replies':>12} {'wall s':>9} {'lost':>6}  note")
    for run in runs:
        print(f"{run.path:8} {'yes' if run.throttled else 'no':8} {run.requests:9d} {run.replies_429:12d} "
              f"{run.wall_s:9.2f} {run.lost:6d}  {run.error}")
    print("\nratios (wall time of (a) single / the path; higher is faster):")
    for throttled in (False, True):
        base = next(r for r in runs if r.path == "single" and r.throttled is throttled)
        for run in runs:
            if run.throttled is throttled and run.path != "single":
                print(f"  {'with 429s' if throttled else 'no 429s  '}  single/{run.path:7} = "
                      f"{base.wall_s / run.wall_s:7.1f}x   requests single/{run.path} = "
                      f"{base.requests / max(run.requests, 1):7.1f}x")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=int, default=20)
    parser.add_argument("--paths", default="single,bulk,ms-sdk")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    paths = args.paths.split(",")
    with tempfile.TemporaryDirectory(prefix="commsuite-bench-") as workdir:
        server = EmulatorServer(Path(workdir) / "dataverse.sqlite", tls=True, token=TOKEN,
                                faults=FaultPlan.none())
        with server, requests.Session() as session:
            session.verify = str(server.ca_file)
            os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca_file)  # for the Microsoft SDK's own requests
            print(f"emulator {server.url} over TLS; {args.records:,} records per run; "
                  f"{args.latency_ms} ms latency per request")
            runs = []
            for throttled in (False, True):
                for path in paths:
                    run = measure(server, session, path, throttled, args.records, args.latency_ms)
                    print(f"  {path:7} {'429s' if throttled else 'calm'}: {run.wall_s:8.2f} s, "
                          f"{run.requests} requests, {run.lost} lost {run.error}", flush=True)
                    runs.append(run)
            print_table(runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
