"""``commsuite bridge``: run the on-prem daemon, or check every connection its config describes.

    commsuite bridge run --config /etc/commsuite/bridge.toml
    commsuite bridge check --config /etc/commsuite/bridge.toml

The file says which parts run: ``[systems.<key>]`` tables run the telephony
part (a PBX's calls into the CRM), an ``[sms]`` table runs the SMS services
without Azure (docs/bridge.md, "The SMS part"); a site has either or both.

Exit codes: 0 clean stop / every check passed; 1 a check failed or the bridge
stopped on an error; 2 the config file is unusable (every problem is printed);
75 the bridge installed a new version and stops so its service starts it
(``bridge update``: cli/bridge_update_cmd.py).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

from cli import bridge_update_cmd

log = logging.getLogger(__name__)

DEFAULT_CONFIG = Path("/etc/commsuite/bridge.toml")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("bridge", help="the on-prem daemon: PBX events ([systems]) and / or SMS ([sms])")
    commands = parser.add_subparsers(dest="bridge_command", metavar="ACTION", required=True)
    run_parser = commands.add_parser(
        "run",
        description="Run the parts bridge.toml configures: [systems.<key>] "
        "tables (telephony), an [sms] table (SMS without Azure), or both.",
        help="run the parts bridge.toml configures ([systems.<key>] telephony, "
        "[sms] SMS without Azure) until SIGTERM / Ctrl+C",
    )
    run_parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help=f"default {DEFAULT_CONFIG}")
    run_parser.set_defaults(func=run)
    check_parser = commands.add_parser("check", help="test every device and Dataverse connection, then exit")
    check_parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help=f"default {DEFAULT_CONFIG}")
    check_parser.add_argument("--timeout", type=float, default=15.0, help="seconds per check (default 15)")
    check_parser.set_defaults(func=check)
    bridge_update_cmd.register(commands, DEFAULT_CONFIG)


def _load(path: Path):
    from bridge.config.loader import load_config
    from bridge.config.model import ConfigError

    try:
        return load_config(path, os.environ)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return None


def _use_context_formatter() -> None:
    from bridge.runtime.logfmt import ContextFormatter

    for handler in logging.getLogger().handlers:
        handler.setFormatter(ContextFormatter())


def run(args: argparse.Namespace) -> int:
    from bridge.runtime.daemon import Bridge
    from bridge.runtime.service import FactoryError, run_service
    from bridge.runtime.workers import ConnectorUnavailableError

    _use_context_formatter()
    config = _load(args.config)
    if config is None:
        return 2
    try:
        bridge = Bridge(config)
        bridge.load_plugins()
    except (FactoryError, ConnectorUnavailableError, OSError, ValueError) as exc:
        log.error("the bridge cannot start: %s", exc)
        return 2
    try:
        run_service(bridge.run(), exit_status=lambda: bridge.exit_status)
    except OSError as exc:  # e.g. the health port is taken
        log.error("the bridge stopped: %s", exc)
        return 1
    return bridge.exit_status


def check(args: argparse.Namespace) -> int:
    from bridge.runtime.check import run_checks

    config = _load(args.config)
    if config is None:
        return 2
    print(f"config {config.path}: OK ({len(config.systems)} system(s), {len(config.environments)} environment(s))")
    results = asyncio.run(run_checks(config, timeout_s=args.timeout))
    for result in results:
        print(result.line())
    failed = sum(1 for result in results if not result.ok)
    print("all checks passed" if not failed else f"{failed} check(s) failed")
    return 1 if failed else 0
