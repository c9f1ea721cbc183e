"""``commsuite schema``: show the suite's data model, or apply it to an environment (X-01).

``commsuite schema apply`` creates or updates every table, column, relationship
and key idempotently (a second run changes nothing); ``--url`` with no app
credentials talks to the local emulator with a static token.
``commsuite schema show`` prints the model, or with ``--format json`` the exact
Web API metadata bodies apply would send. ``commsuite schema check`` reads an
environment and says what differs in a way that breaks the suite: today, lookups
whose navigation property an earlier (lower-case) ``schema apply`` named
``comms_smsproviderid`` instead of ``comms_SmsProviderId``; ``schema apply`` warns
about them and renames them with ``--repair-navigation`` (or when you answer yes).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Mapping

log = logging.getLogger(__name__)

EMULATOR_TOKEN = "emulator"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("schema", help="show or apply the Dataverse schema")
    actions = parser.add_subparsers(dest="schema_command", metavar="ACTION", required=True)

    apply = actions.add_parser("apply", help="create or update the schema in an environment (idempotent)")
    apply.add_argument(
        "--url", help="environment URL; without app credentials in COMMS_* a static token is used (the local emulator)"
    )
    apply.add_argument("--solution", help="unique name of the solution to add components to (default: CommSuite)")
    apply.add_argument(
        "--table", action="append", metavar="LOGICAL_NAME", help="only this table (repeatable); default: every table"
    )
    apply.add_argument("--dry-run", action="store_true", help="read only; print what would change")
    apply.add_argument("--no-publish", action="store_true", help="do not publish the changed tables")
    apply.add_argument(
        "--repair-navigation",
        action="store_true",
        help="rename lookups' navigation properties an earlier (lower-case) apply created to the model's names",
    )
    apply.set_defaults(func=run_apply)

    check = actions.add_parser("check", help="read an environment and report what breaks the suite (read only)")
    check.add_argument("--url", help="environment URL (as for apply)")
    check.add_argument("--table", action="append", metavar="LOGICAL_NAME", help="only this table (repeatable)")
    check.set_defaults(func=run_check)

    show = actions.add_parser("show", help="print the tables, or the Web API metadata bodies")
    show.add_argument("--table", action="append", metavar="LOGICAL_NAME", help="only this table (repeatable)")
    show.add_argument("--format", choices=("text", "json"), default="text")
    show.set_defaults(func=run_show)


def client_environment(environ: Mapping[str, str], url: str | None) -> dict[str, str]:
    """The ``COMMS_*`` settings for the client: ``--url`` overrides the URL, and with no app
    credentials configured a static token stands in (the emulator accepts any token)."""
    env = dict(environ)
    if url:
        env["COMMS_DATAVERSE_URL"] = url
        if not (env.get("COMMS_CLIENT_SECRET") or env.get("COMMS_CLIENT_CERT_PATH")):
            env.setdefault("COMMS_DATAVERSE_STATIC_TOKEN", EMULATOR_TOKEN)
    return env


def _selected_tables(names: list[str] | None):
    import dataverse_schema

    if not names:
        return list(dataverse_schema.TABLES.values())
    return [dataverse_schema.table(name) for name in names]


def run_apply(args: argparse.Namespace) -> int:
    from connectors.dataverse.errors import DataverseError
    from connectors.dataverse.schema_apply import apply_schema
    from dataverse_schema.model import SOLUTION_UNIQUE_NAME

    connected = _connect(args.url, args.table, "apply")
    if connected is None:
        return 2
    client, tables = connected
    solution = args.solution or SOLUTION_UNIQUE_NAME
    try:
        _navigation_step(client, tables, args, solution)
        report = apply_schema(
            client,
            tables,
            solution=solution,
            publish=not args.no_publish,
            dry_run=args.dry_run,
        )
    except DataverseError as exc:
        log.error("schema apply stopped: %s", exc)
        return 1
    for line in report.lines():
        print(line)
    log.info("schema apply finished with %d requests", client.stats.requests)
    return 0


def _connect(url: str | None, table_names: list[str] | None, verb: str):
    """``(client, tables)`` for ``url`` (or ``COMMS_DATAVERSE_URL``), or None after logging why not."""
    from connectors.dataverse.settings import DataverseSettings
    from services.factory import dataverse_client

    environ = client_environment(os.environ, url)
    if not environ.get("COMMS_DATAVERSE_URL", "").strip():
        log.error("cannot %s the schema: pass --url or set COMMS_DATAVERSE_URL (and the app credentials)", verb)
        return None
    try:
        tables = _selected_tables(table_names)
        settings = DataverseSettings.from_env(environ)
    except (KeyError, ValueError) as exc:
        log.error("cannot %s the schema: %s", verb, exc)
        return None
    return dataverse_client(settings), tables


def _navigation_step(client, tables, args: argparse.Namespace, solution: str) -> None:
    """Warn about lookups named by an earlier lower-case apply; rename them when asked (or confirmed)."""
    from connectors.dataverse.schema_navigation import navigation_mismatches, repair_navigation

    mismatches = navigation_mismatches(client, tables)
    if not mismatches:
        return
    for mismatch in mismatches:
        print(f"WARNING {mismatch.line()}")
    repair = args.repair_navigation or (not args.dry_run and _confirm("Rename them now? [y/N] "))
    if not repair or args.dry_run:
        print("navigation properties left as they are; the suite's writes to these lookups will fail until renamed")
        return
    for mismatch in mismatches:
        repair_navigation(client, mismatch, solution=solution)
        print(f"renamed {mismatch.relationship} navigation property {mismatch.found} -> {mismatch.expected}")


def _confirm(prompt: str) -> bool:
    if not sys.stdin.isatty():
        return False
    return input(prompt).strip().lower() in ("y", "yes")


def run_check(args: argparse.Namespace) -> int:
    from connectors.dataverse.errors import DataverseError
    from connectors.dataverse.schema_navigation import navigation_mismatches

    connected = _connect(args.url, args.table, "check")
    if connected is None:
        return 2
    client, tables = connected
    try:
        mismatches = navigation_mismatches(client, tables)
    except DataverseError as exc:
        log.error("schema check stopped: %s", exc)
        return 1
    for mismatch in mismatches:
        print(mismatch.line())
    print("navigation properties: OK" if not mismatches else f"{len(mismatches)} navigation propert(ies) to rename")
    return 1 if mismatches else 0


def run_show(args: argparse.Namespace) -> int:
    from dataverse_schema.webapi import table_payloads

    try:
        tables = _selected_tables(args.table)
    except KeyError as exc:
        log.error("%s", exc.args[0])
        return 2
    if args.format == "json":
        json.dump([table_payloads(t) for t in tables], sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0
    for t in tables:
        kind = "custom" if t.is_custom else "standard"
        activity = ", activity" if t.is_activity else ""
        print(f"{t.logical_name} ({t.entity_set_name}; {kind}{activity}) - {t.display_name}")
        for c in t.columns:
            if t.is_custom or c.is_custom:
                size = f"({c.max_length})" if c.max_length else ""
                target = f" -> {', '.join(c.targets)}" if c.targets else ""
                print(f"    {c.logical_name:<32} {c.type.value}{size}{target}")
        for k in t.keys:
            print(f"    key {k.logical_name}: {', '.join(k.columns)}")
    return 0
