"""The ``commsuite`` command: one entry point in front of every part of the suite.

Each sub-command lives in its own module under ``cli/`` exposing
``register(subparsers)``; the module adds its parser and sets ``func`` to the
callable that runs it (returning the process exit code).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from bridge.runtime.version import bridge_version

COMMAND_MODULES = (
    "cli.bridge_cmd",
    "cli.calls_cmd",
    "cli.demo_cmd",
    "cli.emulator_cmd",
    "cli.release_cmd",
    "cli.schema_cmd",
    "cli.sms_cmd",
    "cli.solution_cmd",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="commsuite", description="CommSuite for Dataverse")
    parser.add_argument("-v", "--verbose", action="store_true", help="log at DEBUG level")
    parser.add_argument("--version", action="version", version=f"commsuite {bridge_version()}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from cli.logs import configure_logging

    configure_logging(logging.DEBUG if args.verbose else logging.INFO)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
