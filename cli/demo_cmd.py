"""``commsuite demo``: the whole suite on the embedded defaults, end to end.

Starts the local Dataverse emulator on a SQLite file with only the standard
tables a fresh organisation has, applies the CommSuite schema to it over the
Web API, seeds customers and users, and runs the suite's parts against it
(foundation, the telephony bridge, the SMS functions), printing progress and a
summary. ``--serve`` keeps the emulator running.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

import requests

DEFAULT_DIR = Path("demo-data")
DEMO_TOKEN = "commsuite-demo"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the end-to-end demo on the local emulator")
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help=f"where the demo keeps its database and outputs (default: {DEFAULT_DIR})")
    parser.add_argument("--port", type=int, default=0, help="emulator port (default: any free port)")
    parser.add_argument("--keep", action="store_true", help="reuse the database from an earlier run")
    parser.add_argument("--serve", action="store_true", help="keep the emulator serving after the demo")
    parser.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from cli.demo_fax import run_fax
    from cli.demo_foundation import run_foundation
    from cli.demo_sms import run_sms
    from cli.demo_telephony import run_telephony
    from connectors.dataverse import DataverseSettings
    from connectors.settings import Secret
    from emulator.server import EmulatorServer
    from emulator.server.tables import tables_for
    from services.factory import dataverse_client

    data_dir: Path = args.dir
    if data_dir.exists() and not args.keep:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    server = EmulatorServer(data_dir / "dataverse.sqlite", port=args.port, tables=tables_for("standard"),
                            token=DEMO_TOKEN, key_activation_s=0.0)
    with server, requests.Session() as session:
        _say(f"Dataverse emulator at {server.url}")
        client = dataverse_client(DataverseSettings(url=server.origin, static_token=Secret(DEMO_TOKEN)),
                                  session=session)
        outcome = run_foundation(server, client, data_dir, _say)
        telephony = run_telephony(server, client, data_dir, DEMO_TOKEN, _say, serve=args.serve)
        outcome.lines.extend(telephony.lines())
        sms = run_sms(server, client, data_dir, DEMO_TOKEN, _say)
        outcome.lines.extend(sms.lines())
        outcome.lines.extend(run_fax(server, client, data_dir, DEMO_TOKEN, _say).lines())
        _print_summary(outcome.lines, client.stats.requests, time.monotonic() - started)
        if args.serve:
            _say(f"serving {server.url} (bearer token {DEMO_TOKEN!r}); Ctrl+C stops")
            _say(telephony.console.serve_hint())
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                _say("stopped")
            finally:
                telephony.stop()
    return 0


def _say(text: str) -> None:
    print(f"• {text}", flush=True)


def _print_summary(lines: list[tuple[str, str]], requests_sent: int, elapsed_s: float) -> None:
    width = max(len(what) for what, _ in lines)
    print("\nSummary", flush=True)
    for what, result in lines:
        print(f"  {what.ljust(width)}  {result}")
    print(f"  {'Web API requests'.ljust(width)}  {requests_sent} in {elapsed_s:.1f} s")
    sys.stdout.flush()
