"""``commsuite schema``: show the suite's data model, or apply it to an environment (X-01).

``commsuite schema apply`` creates or updates every table, column, relationship
and key idempotently (a second run changes nothing); ``--url`` with no app
credentials talks to the local emulator with a static token.
``commsuite schema show`` prints the model, or with ``--format json`` the exact
Web API metadata bodies apply would send.
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
    apply.set_defaults(func=run_apply)

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
    from connectors.dataverse.settings import DataverseSettings
    from dataverse_schema.model import SOLUTION_UNIQUE_NAME
    from services.factory import dataverse_client

    environ = client_environment(os.environ, args.url)
    if not environ.get("COMMS_DATAVERSE_URL", "").strip():
        log.error("cannot apply the schema: pass --url or set COMMS_DATAVERSE_URL (and the app credentials)")
        return 2
    try:
        tables = _selected_tables(args.table)
        settings = DataverseSettings.from_env(environ)
    except (KeyError, ValueError) as exc:
        log.error("cannot apply the schema: %s", exc)
        return 2
    client = dataverse_client(settings)
    try:
        report = apply_schema(
            client,
            tables,
            solution=args.solution or SOLUTION_UNIQUE_NAME,
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
