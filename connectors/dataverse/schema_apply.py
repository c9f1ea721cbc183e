"""Create or update the suite's tables, columns, relationships and keys in an environment.

``apply_schema`` serves X-01 (an administrator provisions or upgrades the schema
without importing a zip) and the demo. It reads what exists, creates what is
missing, ``PUT``s what changed (labels, descriptions, required level, wider
lengths or ranges, with ``MSCRM.MergeLabels: true``), adds missing choice
values, never deletes, and publishes the tables it touched. A second run sends
no write and its report says so. Every metadata write carries
``MSCRM.SolutionUniqueName`` so the components land in the suite's solution.
Standard tables are never created, only extended with ``comms_`` columns.

This module holds the run, the solution and publisher, global choices, tables,
keys and publishing; the columns and their choice values are
:mod:`connectors.dataverse.schema_columns`, the run's reads, writes and report
:mod:`connectors.dataverse.schema_session`.

Errors are the client's typed errors (``connectors.dataverse.errors``); a 429
is retried by the client per its policy, anything else stops the run with what
was done so far in ``ApplyReport``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

from connectors.dataverse import schema_diff as diff
from connectors.dataverse.errors import NotFoundError
from connectors.dataverse.schema_columns import sync_columns
from connectors.dataverse.schema_session import (
    READ_HEADERS,
    ApplyReport,
    ApplySession,
    ExistingTable,
    MetadataClient,
    read_json,
)
from dataverse_schema import global_option_sets
from dataverse_schema.model import (
    OPTION_VALUE_PREFIX,
    PUBLISHER_DISPLAY_NAME,
    PUBLISHER_PREFIX,
    PUBLISHER_UNIQUE_NAME,
    SOLUTION_UNIQUE_NAME,
    OptionSet,
    Table,
)
from dataverse_schema.webapi import entity_metadata, global_option_set_metadata, key_metadata

log = logging.getLogger(__name__)

TABLE_SELECT = "MetadataId,LogicalName,SchemaName,DisplayName,DisplayCollectionName,Description,IsActivity"
KEY_SELECT = "LogicalName,SchemaName,KeyAttributes,EntityKeyIndexStatus"


def apply_schema(
    client: MetadataClient,
    tables: Iterable[Table],
    *,
    solution: str = SOLUTION_UNIQUE_NAME,
    publish: bool = True,
    dry_run: bool = False,
    option_sets: Iterable[OptionSet] | None = None,
) -> ApplyReport:
    """Bring ``tables`` (and the global choices) into the environment behind ``client``.

    Idempotent: a second run issues only reads. ``dry_run`` issues only reads and
    reports what a real run would do. Raises the client's typed errors
    (``ThrottledError`` after the client's own retries, ``PrivilegeError`` when the
    application user may not customise, ``ValidationError`` when Dataverse refuses
    a definition).
    """
    session = ApplySession(client, ApplyReport(solution=solution, dry_run=dry_run))
    wanted = [t for t in tables if t.is_custom or t.custom_columns or t.keys]
    ensure_solution(session)
    for options in global_option_sets() if option_sets is None else option_sets:
        ensure_option_set(session, options)
    existing = {t.logical_name: read_table(session, t) for t in wanted}
    for t in wanted:
        if existing[t.logical_name] is None:
            existing[t.logical_name] = create_table(session, t)
    for t in wanted:
        current = existing[t.logical_name]
        if current is None:
            continue  # a standard table the environment lacks: reported by create_table
        sync_table(session, t, current)
        sync_columns(session, t, current)
        sync_keys(session, t, current)
    if publish and not dry_run:
        publish_touched(session)
    return session.report


# -- solution and publisher ------------------------------------------------------------------


def ensure_solution(session: ApplySession) -> None:
    """Create the suite's publisher and solution when missing; warn when the publisher's prefix differs."""
    report = session.report
    publisher = session.first(
        "publishers",
        "uniquename",
        PUBLISHER_UNIQUE_NAME,
        "publisherid,uniquename,customizationprefix,customizationoptionvalueprefix",
    )
    if publisher is None:
        publisher_ref = _create_publisher(session)
    else:
        publisher_ref = f"/publishers({publisher['publisherid']})"
        if publisher.get("customizationprefix") != PUBLISHER_PREFIX:
            report.warnings.append(
                f"publisher {PUBLISHER_UNIQUE_NAME} has prefix {publisher.get('customizationprefix')!r}, "
                f"the schema uses {PUBLISHER_PREFIX!r}"
            )
    if session.first("solutions", "uniquename", report.solution, "solutionid,uniquename") is None:
        report.created.append(f"solution {report.solution}")
        if not report.dry_run:
            session.post(
                "solutions",
                {
                    "uniquename": report.solution,
                    "friendlyname": report.solution,
                    "version": "1.0.0.0",
                    "publisherid@odata.bind": publisher_ref,
                    "description": "Telephony, SMS and fax for Dataverse.",
                },
                solution_header=False,
            )


def _create_publisher(session: ApplySession) -> str:
    session.report.created.append(f"publisher {PUBLISHER_UNIQUE_NAME}")
    if session.report.dry_run:
        return "/publishers(00000000-0000-0000-0000-000000000000)"
    response = session.post(
        "publishers",
        {
            "uniquename": PUBLISHER_UNIQUE_NAME,
            "friendlyname": PUBLISHER_DISPLAY_NAME,
            "customizationprefix": PUBLISHER_PREFIX,
            "customizationoptionvalueprefix": OPTION_VALUE_PREFIX,
            "description": "Publisher of the CommSuite solution.",
        },
        solution_header=False,
    )
    entity_id = response.headers.get("OData-EntityId") or response.headers.get("Location") or ""
    return "/publishers(" + entity_id.rsplit("(", 1)[-1].rstrip(")") + ")"


# -- global option sets ----------------------------------------------------------------------


def ensure_option_set(session: ApplySession, options: OptionSet) -> None:
    """Create the global choice when missing (its values are never changed here)."""
    try:
        session.client.request("GET", f"GlobalOptionSetDefinitions(Name='{options.name}')", headers=READ_HEADERS)
        return
    except NotFoundError:
        pass
    session.report.created.append(f"choice {options.name}")
    session.touched_option_sets.append(str(options.name))
    session.write("POST", "GlobalOptionSetDefinitions", global_option_set_metadata(options))


# -- tables ----------------------------------------------------------------------------------


def read_table(session: ApplySession, table: Table) -> ExistingTable | None:
    """The table as the environment has it, with its attributes and keys; ``None`` when it has none."""
    try:
        response = session.client.request(
            "GET",
            f"EntityDefinitions(LogicalName='{table.logical_name}')",
            params={"$select": TABLE_SELECT, "$expand": f"Attributes,Keys($select={KEY_SELECT})"},
            headers=READ_HEADERS,
        )
    except NotFoundError:
        return None
    body = read_json(response)
    attributes = {a["LogicalName"]: a for a in body.get("Attributes") or () if "LogicalName" in a}
    keys = {k["LogicalName"]: k for k in body.get("Keys") or () if "LogicalName" in k}
    return ExistingTable(body, attributes, keys)


def create_table(session: ApplySession, table: Table) -> ExistingTable | None:
    """Create a custom table (with its primary name column); a missing standard table is only a warning."""
    if not table.is_custom:
        session.report.warnings.append(f"standard table {table.logical_name} is missing from the environment")
        return None
    session.report.created.append(f"table {table.logical_name}")
    session.touch(table)
    session.write("POST", "EntityDefinitions", entity_metadata(table), idempotent=False)
    primary = table.primary_name
    return ExistingTable({}, {primary: {"LogicalName": primary}}, {})


def sync_table(session: ApplySession, table: Table, current: ExistingTable) -> None:
    """``PUT`` a custom table's definition when its labels or properties changed."""
    if not table.is_custom or not current.metadata:
        return
    wanted = entity_metadata(table)
    changes = diff.entity_changes(wanted, current.metadata)
    if not changes:
        return
    session.report.updated.append(f"table {table.logical_name} ({', '.join(changes)})")
    session.touch(table)
    body = {k: v for k, v in wanted.items() if k != "Attributes"}
    body["LogicalName"] = table.logical_name
    if current.metadata.get("MetadataId"):
        body["MetadataId"] = current.metadata["MetadataId"]
    session.write("PUT", f"EntityDefinitions(LogicalName='{table.logical_name}')", body, merge_labels=True)


# -- keys ------------------------------------------------------------------------------------


def sync_keys(session: ApplySession, table: Table, current: ExistingTable) -> None:
    """Create missing alternate keys; warn about keys whose columns differ or whose index failed."""
    report = session.report
    for key in table.keys:
        actual = current.keys.get(key.logical_name)
        if actual is None:
            report.created.append(f"key {table.logical_name}.{key.logical_name} ({', '.join(key.columns)})")
            session.write(
                "POST",
                f"EntityDefinitions(LogicalName='{table.logical_name}')/Keys",
                key_metadata(key),
                idempotent=False,
            )
            continue
        if sorted(actual.get("KeyAttributes") or ()) != sorted(key.columns):
            report.warnings.append(
                f"key {table.logical_name}.{key.logical_name} has columns {actual.get('KeyAttributes')} in "
                f"the environment, {list(key.columns)} in the schema; keys are never changed by apply"
            )
        if actual.get("EntityKeyIndexStatus") in ("Failed", 3):
            report.warnings.append(
                f"key {table.logical_name}.{key.logical_name}: index creation failed (duplicate values?)"
            )


# -- publishing ------------------------------------------------------------------------------


def publish_touched(session: ApplySession) -> None:
    """Publish the tables and global choices the run touched (``PublishXml``)."""
    if not session.touched and not session.touched_option_sets:
        return
    entities = "".join(f"<entity>{name}</entity>" for name in session.touched)
    option_sets = "".join(f"<optionset>{name}</optionset>" for name in session.touched_option_sets)
    xml = f"<importexportxml><entities>{entities}</entities><optionsets>{option_sets}</optionsets></importexportxml>"
    session.client.request("POST", "PublishXml", json={"ParameterXml": xml}, idempotent=True)
    session.report.published = list(session.touched)
    log.info("published %d tables", len(session.touched))
