"""``commsuite demo``: the whole suite on the embedded defaults, end to end.

Starts the local Dataverse emulator on a SQLite file with only the standard
tables a fresh organisation has, applies the CommSuite schema to it over the
Web API, seeds customers and users, and runs the suite's parts against it
(foundation, the telephony bridge, the SMS functions), printing progress and a
summary. ``--serve`` keeps the emulator running. ``--profile`` picks the
deployment the emulator plays: on premises (``onprem-9.0`` ...) every part signs
in with NTLM and the SMS services run in the on-premises daemon, with no Azure
component (issue 14, §5).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

import requests

DEFAULT_DIR = Path("demo-data")
#: ``emulator.server.profiles.NAMES``, spelt out so ``--help`` needs no emulator import.
PROFILE_NAMES = ("online", "onprem-9.1", "onprem-9.1-adfs", "onprem-9.0", "onprem-8.2", "crm-2016")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("demo", help="run the end-to-end demo on the local emulator")
    parser.add_argument(
        "--dir",
        type=Path,
        default=DEFAULT_DIR,
        help=f"where the demo keeps its database and outputs (default: {DEFAULT_DIR})",
    )
    parser.add_argument("--port", type=int, default=0, help="emulator port (default: any free port)")
    parser.add_argument("--keep", action="store_true", help="reuse the database from an earlier run")
    parser.add_argument("--serve", action="store_true", help="keep the emulator serving after the demo")
    parser.add_argument(
        "--profile",
        choices=PROFILE_NAMES,
        default="online",
        help="the deployment the emulator plays; on premises: NTLM sign-in (onprem-9.1-adfs: AD FS over https), "
        "no Azure (default: online)",
    )
    parser.set_defaults(func=run_demo)


def run_demo(args: argparse.Namespace) -> int:
    from cli.demo_fax import run_fax
    from cli.demo_foundation import run_foundation
    from cli.demo_signin import DemoSignIn
    from cli.demo_sms import run_sms
    from cli.demo_sms_daemon import run_sms_on_daemon
    from cli.demo_telephony import run_telephony
    from emulator.server import EmulatorServer
    from emulator.server.tables import tables_for
    from services.factory import dataverse_client

    data_dir: Path = args.dir
    if data_dir.exists() and not args.keep:
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    sign_in = DemoSignIn.for_profile(args.profile)
    server = EmulatorServer(
        data_dir / "dataverse.sqlite",
        port=args.port,
        tls=sign_in.is_adfs,
        tables=tables_for("standard"),
        token=sign_in.emulator_token(),
        key_activation_s=0.0,
        deployment=sign_in.deployment(),
    )
    with server, requests.Session() as session:
        if server.ca_file is not None:  # every part of the demo (and the daemons it starts) trusts the emulator
            os.environ["REQUESTS_CA_BUNDLE"] = str(server.ca_file)
        _say(f"Dataverse emulator at {server.url} playing {server.profile.title}")
        client = dataverse_client(sign_in.settings(server.origin), session=session)
        outcome = run_foundation(server, client, data_dir, _say, solution_target=sign_in.solution_target)
        telephony = run_telephony(server, client, data_dir, sign_in, _say, serve=args.serve)
        outcome.lines.extend(telephony.lines())
        if sign_in.is_onprem:
            sms = run_sms_on_daemon(server, client, data_dir, sign_in, _say)
        else:
            sms = run_sms(server, client, data_dir, sign_in.token, _say)
        outcome.lines.extend(sms.lines())
        outcome.lines.extend(run_fax(server, client, data_dir, sign_in, _say).lines())
        outcome.add("deployment", sign_in.describe())
        _print_summary(outcome.lines, client.stats.requests, time.monotonic() - started)
        if args.serve:
            _say(f"serving {server.url} ({_credentials(sign_in)}); Ctrl+C stops")
            _say(telephony.console.serve_hint())
            try:
                server.serve_forever()
            except KeyboardInterrupt:
                _say("stopped")
            finally:
                telephony.stop()
    return 0


def _credentials(sign_in) -> str:
    if sign_in.is_onprem:
        kind = "AD FS password grant" if sign_in.is_adfs else "NTLM"
        return f"{kind} as {sign_in.username}, password {sign_in.password!r}: a test account of the emulator"
    return f"bearer token {sign_in.token!r}"


def _say(text: str) -> None:
    print(f"• {text}", flush=True)


def _print_summary(lines: list[tuple[str, str]], requests_sent: int, elapsed_s: float) -> None:
    width = max(len(what) for what, _ in lines)
    print("\nSummary", flush=True)
    for what, result in lines:
        print(f"  {what.ljust(width)}  {result}")
    print(f"  {'Web API requests'.ljust(width)}  {requests_sent} in {elapsed_s:.1f} s")
    sys.stdout.flush()
