"""``commsuite solution build`` / ``connector``: the importable solution zip(s) (X-01) and the Power Automate
custom connector folder (X-02)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

log = logging.getLogger(__name__)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("solution", help="build the Dataverse solution")
    actions = parser.add_subparsers(dest="solution_command", metavar="ACTION", required=True)
    build = actions.add_parser("build", help="write CommSuite_<version>.zip (unmanaged) and/or _managed.zip")
    build.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    build.add_argument("--version", help="solution version, e.g. 1.2.0.0 (default: the package version)")
    kinds = build.add_mutually_exclusive_group()
    kinds.add_argument("--managed", dest="kinds", action="store_const", const=(True,), help="managed only")
    kinds.add_argument("--unmanaged", dest="kinds", action="store_const", const=(False,), help="unmanaged only")
    kinds.add_argument(
        "--both", dest="kinds", action="store_const", const=(False, True), help="unmanaged and managed (the default)"
    )
    build.add_argument(
        "--target",
        choices=("online", "9.0", "8.2"),
        default="online",
        help="the Dynamics version that imports the zip: online (default), 9.0 (on-premises 9.0 "
        "and 9.1) or 8.2 (Dynamics 365 December 2016 update, on-premises); see docs/solution.md",
    )
    _connector_options(build, required=False)
    build.set_defaults(func=run_build, kinds=(False, True))
    connector = actions.add_parser(
        "connector", help="write CommSuite-connector/ (apiDefinition.swagger.json, apiProperties.json) for paconn"
    )
    connector.add_argument("--out", type=Path, default=Path("dist"), help="output folder (default: dist)")
    connector.add_argument("--version", help="connector version, e.g. 1.2.0.0 (default: the package version)")
    _connector_options(connector, required=True)
    connector.set_defaults(func=run_connector)


def _connector_options(parser: argparse.ArgumentParser, *, required: bool) -> None:
    also = "" if required else "; with it, the build also writes the Power Automate connector folder"
    parser.add_argument(
        "--org-url",
        required=required,
        help=f"the environment the connector calls, e.g. https://contoso.crm.dynamics.com{also} "
        "(docs/power-automate.md)",
    )
    parser.add_argument(
        "--client-id",
        required=required,
        help="the client id of the Entra ID app registration the connection signs in with",
    )


def run_build(args: argparse.Namespace) -> int:
    from solution.builder import build_package, write_package
    from solution.schema_components import solution_schema
    from solution.version import package_version, solution_version

    try:
        version = solution_version(args.version or package_version())
    except ValueError as exc:
        log.error("cannot build the solution: %s", exc)
        return 2
    if args.org_url and not args.client_id:
        log.error("cannot build the connector: --org-url needs --client-id (the Entra ID app registration)")
        return 2
    schema = solution_schema()
    for managed in args.kinds:
        package = build_package(schema, version=version, managed=managed, target=args.target)
        path = write_package(package, args.out)
        log.info("wrote %s (%s, version %s, for %s)", path, "managed" if managed else "unmanaged", version, args.target)
        for part in package.left_out:
            log.info("left out for %s: %s", args.target, part)
    if args.org_url:
        return _write_connector(args.org_url, args.client_id, version, args.out)
    return 0


def run_connector(args: argparse.Namespace) -> int:
    from solution.version import package_version, solution_version

    try:
        version = solution_version(args.version or package_version())
    except ValueError as exc:
        log.error("cannot build the connector: %s", exc)
        return 2
    return _write_connector(args.org_url, args.client_id, version, args.out)


def _write_connector(org_url: str, client_id: str, version: str, out: Path) -> int:
    from solution.connector.package import build_connector, write_connector

    try:
        package = build_connector(org_url, client_id, version)
    except ValueError as exc:
        log.error("cannot build the connector: %s", exc)
        return 2
    folder = write_connector(package, out)
    log.info("wrote %s (Power Automate connector for %s, version %s)", folder, package.definition["host"], version)
    return 0
