"""``commsuite emulator``: serve the local Dataverse Web API emulator on loopback.

commsuite emulator --port 8800 --db demo.db --seed --schema standard
commsuite emulator --port 8443 --db demo.db --tls --latency-ms 40 --throttle 600/60 --outage 30+10
commsuite emulator --ms-per-record 25 --dop-hint 4   # slower bulk writes, fewer parallel requests advised
commsuite emulator --sms-port 8810 --sms-key demo-key      # and a fake SMS provider (Kavenegar REST + SOAP)
commsuite emulator --profile onprem-9.0                    # Dynamics 365 9.0 on-premises: IIS NTLM sign-in
"""

from __future__ import annotations

import argparse
import logging
import re
import time
from pathlib import Path

log = logging.getLogger(__name__)

#: ``emulator.server.profiles.NAMES``, spelt out so ``--help`` needs no emulator import.
PROFILE_NAMES = (
    "online",
    "onprem-9.1",
    "onprem-9.1-adfs",
    "onprem-9.1-adfs2012r2",
    "onprem-9.0",
    "onprem-8.2",
    "crm-2016",
)
_THROTTLE = re.compile(r"^(\d+)/(\d+(?:\.\d+)?)$")
_OUTAGE = re.compile(r"^(\d+(?:\.\d+)?)\+(\d+(?:\.\d+)?)$")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("emulator", help="serve the local Dataverse Web API emulator")
    parser.add_argument("--port", type=int, default=8800, help="loopback port (0 = any free port; default 8800)")
    parser.add_argument("--db", type=Path, default=Path("dataverse-emulator.db"), help="SQLite database file")
    parser.add_argument(
        "--tls",
        action="store_true",
        help="serve https with a generated certificate; prints the CA file clients must trust",
    )
    parser.add_argument("--latency-ms", type=int, default=0, help="added latency per request")
    parser.add_argument(
        "--throttle",
        default="default",
        metavar="REQUESTS/SECONDS|default|off",
        help="service-protection request limit (default: the real 6000/300, 52 concurrent)",
    )
    parser.add_argument(
        "--ms-per-record",
        type=float,
        default=None,
        help="modelled server time per record of a bulk message (default 10 ms)",
    )
    parser.add_argument(
        "--dop-hint", type=int, default=None, help="the x-ms-dop-hint the emulator recommends (default 8)"
    )
    parser.add_argument(
        "--outage",
        action="append",
        default=[],
        metavar="START+SECONDS",
        help="answer 503 from START seconds after start-up for SECONDS (repeatable)",
    )
    parser.add_argument("--seed", action="store_true", help="add the demo contacts, accounts, leads and users")
    parser.add_argument(
        "--schema",
        choices=("installed", "standard"),
        default="installed",
        help="start with every suite table (installed) or only the standard ones (standard)",
    )
    parser.add_argument("--token", help="accept only this bearer token (default: any; online profile only)")
    parser.add_argument(
        "--profile",
        choices=PROFILE_NAMES,
        default="online",
        help="the deployment played: its Web API root, RetrieveVersion(), what it lacks and its "
        "sign-in (on-premises: NTLM/Negotiate as IIS, test accounts printed at start-up; "
        "*-adfs: AD FS tokens from /adfs/oauth2/token, needs --tls)",
    )
    parser.add_argument(
        "--sms-port",
        type=int,
        metavar="PORT",
        help="also serve the fake SMS provider (Kavenegar's REST and SOAP formats) on this port",
    )
    parser.add_argument("--sms-key", default="demo-key", help="API key the fake SMS provider accepts")
    parser.set_defaults(func=run)


def fault_plan(
    latency_ms: int,
    throttle: str,
    outages: list[str],
    now: float,
    *,
    ms_per_record: float | None = None,
    dop_hint: int | None = None,
):
    """The FaultPlan the command-line options describe; ValueError names the bad option."""
    from emulator.server.faults import FaultPlan, Outage, ServiceProtection
    from emulator.server.limits import ServerModel, server_model_from_json

    if latency_ms < 0:
        raise ValueError("--latency-ms must not be negative")
    if throttle == "off":
        limits = None
    elif throttle == "default":
        limits = ServiceProtection()
    else:
        match = _THROTTLE.match(throttle)
        if not match or int(match.group(1)) < 1 or float(match.group(2)) <= 0:
            raise ValueError(f"--throttle {throttle!r}: expected REQUESTS/SECONDS such as 6000/300, 'default' or 'off'")
        limits = ServiceProtection(requests_per_window=int(match.group(1)), window_s=float(match.group(2)))
    windows = []
    for text in outages:
        match = _OUTAGE.match(text)
        if not match or float(match.group(2)) <= 0:
            raise ValueError(f"--outage {text!r}: expected START+SECONDS such as 30+10")
        start = now + float(match.group(1))
        windows.append(Outage(start, start + float(match.group(2))))
    settings = {
        name: value for name, value in (("ms_per_record", ms_per_record), ("dop_hint", dop_hint)) if value is not None
    }
    server = server_model_from_json(settings, ServerModel())
    return FaultPlan(latency_ms=latency_ms, limits=limits, outages=tuple(windows), server=server)


def run(args: argparse.Namespace) -> int:
    from emulator.seed import seed
    from emulator.server import EmulatorServer
    from emulator.server.profiles import profile
    from emulator.server.tables import tables_for

    deployment = profile(args.profile)
    if deployment.is_adfs and not args.tls:
        log.error("--profile %s needs --tls: AD FS serves its token endpoint over https only", args.profile)
        return 2
    if args.throttle == "default" and not deployment.features.service_protection:
        args.throttle = "off"  # on-premises servers have no service protection limits
    try:
        plan = fault_plan(
            args.latency_ms,
            args.throttle,
            args.outage,
            time.monotonic(),
            ms_per_record=args.ms_per_record,
            dop_hint=args.dop_hint,
        )
    except ValueError as exc:
        log.error("%s", exc)
        return 2
    args.db.parent.mkdir(parents=True, exist_ok=True)
    server = EmulatorServer(
        args.db,
        port=args.port,
        tls=args.tls,
        faults=plan,
        tables=tables_for(args.schema),
        token=args.token,
        deployment=deployment,
    )
    try:
        server.start()
    except OSError as exc:
        log.error("cannot listen on 127.0.0.1:%d: %s", args.port, exc)
        return 1
    if args.seed:
        report = seed(server.store)
        log.info(
            "seed data: %d records created, %d already present",
            sum(report.created.values()),
            sum(report.existing.values()),
        )
    print(f"Dataverse emulator: {server.url}", flush=True)
    print(f"Deployment: {deployment.title}, version {deployment.version}", flush=True)
    _print_sign_in(server)
    if server.ca_file is not None:
        print(f"Trust this CA file: {server.ca_file}", flush=True)
    try:
        sms = _start_sms_provider(args.sms_port, args.sms_key) if args.sms_port is not None else None
    except OSError as exc:
        log.error("cannot serve the fake SMS provider on 127.0.0.1:%d: %s", args.sms_port, exc)
        server.stop()
        return 1
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        log.info("stopping")
    finally:
        if sms is not None:
            sms.stop()
        server.stop()
    return 0


def _start_sms_provider(port: int, api_key: str):
    from emulator.sms_provider import FakeSmsProviderServer

    provider = FakeSmsProviderServer(api_key=api_key, port=port)
    provider.start()
    print(f"Fake SMS provider (Kavenegar REST): {provider.base_url}", flush=True)
    print(f"Fake SMS provider (Kavenegar SOAP): {provider.soap_url}", flush=True)
    return provider


def _print_sign_in(server) -> None:
    """The test accounts (and, behind AD FS, the token endpoint and client id) an administrator signs in with."""
    deployment = server.profile
    kind = "AD FS password grant" if deployment.is_adfs else "Windows sign-in (NTLM)"
    for account in deployment.accounts:
        print(f"{kind}: {account.username} / {account.password}", flush=True)
    if deployment.is_adfs:
        from emulator.server.auth_adfs import PUBLIC_CLIENT_ID, TOKEN_PATH

        print(f"AD FS token endpoint: {server.origin}{TOKEN_PATH} (client id {PUBLIC_CLIENT_ID})", flush=True)
