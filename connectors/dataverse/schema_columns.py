"""Bringing a table's columns and local choice values in line with the schema (X-01).

A missing column is created (a lookup through its relationship); a changed one
is ``PUT`` with ``MSCRM.MergeLabels: true``. A column whose type differs, or
whose length or range the schema narrows, is left as it is with a warning. The
values of a local choice are compared in one read per table: missing ones are
inserted (``InsertOptionValue``), relabelled ones updated (``UpdateOptionValue``);
values are never deleted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.dataverse import schema_diff as diff
from connectors.dataverse.errors import NotFoundError, ValidationError
from connectors.dataverse.schema_session import READ_HEADERS, ApplySession, ExistingTable, Json, read_json
from dataverse_schema.model import Column, ColumnType, Table
from dataverse_schema.webapi import attribute_metadata, is_creatable, relationship_metadata


def sync_columns(session: ApplySession, table: Table, current: ExistingTable) -> None:
    """Create, update and complete the choice values of ``table``'s columns the suite may create."""
    existing_choices = [
        c
        for c in table.columns
        if is_creatable(table, c) and c.type is ColumnType.PICKLIST and c.logical_name in current.attributes
    ]
    options = _read_options(session, table) if existing_choices else {}
    if options is None:
        existing_choices = []
    for column in table.columns:
        if not is_creatable(table, column):
            continue
        actual = current.attributes.get(column.logical_name)
        if actual is None:
            _create_column(session, table, column)
        else:
            _update_column(session, table, column, actual)
            if column in existing_choices and column.options is not None and not column.options.is_global:
                wanted = attribute_metadata(column)["OptionSet"]["Options"]
                _sync_options(session, table, column, wanted, options.get(column.logical_name, []))


def _read_options(session: ApplySession, table: Table) -> dict[str, list[Mapping[str, Any]]] | None:
    """Every local choice column's values, in one read per table; None when refused."""
    try:
        response = session.client.request(
            "GET",
            f"EntityDefinitions(LogicalName='{table.logical_name}')/Attributes"
            "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata",
            params={"$select": "LogicalName", "$expand": "OptionSet($select=Options)"},
            headers=READ_HEADERS,
        )
    except (ValidationError, NotFoundError) as exc:
        session.report.warnings.append(f"choice values of {table.logical_name} not compared: {exc.message}")
        return None
    return {
        a["LogicalName"]: (a.get("OptionSet") or {}).get("Options") or []
        for a in read_json(response).get("value") or ()
        if "LogicalName" in a
    }


def _create_column(session: ApplySession, table: Table, column: Column) -> None:
    session.touch(table)
    if column.type is ColumnType.LOOKUP:
        body = relationship_metadata(table, column)
        session.report.created.append(
            f"relationship {body['SchemaName']} ({table.logical_name}.{column.logical_name} → {column.targets[0]})"
        )
        session.write("POST", "RelationshipDefinitions", body, idempotent=False)
        return
    session.report.created.append(f"column {table.logical_name}.{column.logical_name}")
    session.write(
        "POST",
        f"EntityDefinitions(LogicalName='{table.logical_name}')/Attributes",
        attribute_metadata(column),
        idempotent=False,
    )


def _update_column(session: ApplySession, table: Table, column: Column, actual: Mapping[str, Any]) -> None:
    name = f"{table.logical_name}.{column.logical_name}"
    wanted = attribute_metadata(column)
    if diff.type_mismatch(wanted, actual):
        session.report.warnings.append(
            f"column {name} is {actual.get('AttributeType')} in the environment, "
            f"{wanted['AttributeType']} in the schema; left as it is"
        )
        return
    for prop in diff.narrowed(wanted, actual):
        session.report.warnings.append(
            f"column {name}: schema {prop} is narrower than the environment's; left as it is"
        )
    changes = diff.attribute_changes(wanted, actual)
    if changes:
        session.report.updated.append(f"column {name} ({', '.join(changes)})")
        session.touch(table)
        body = dict(wanted, LogicalName=column.logical_name)
        body.pop("OptionSet", None)  # choice values change through Insert/UpdateOptionValue
        if actual.get("MetadataId"):
            body["MetadataId"] = actual["MetadataId"]
        session.write("PUT", _attribute_path(table, column), body, merge_labels=True)


def _sync_options(
    session: ApplySession, table: Table, column: Column, wanted: list[Json], options: list[Mapping[str, Any]]
) -> None:
    missing, relabelled = diff.option_changes(wanted, options)
    name = f"{table.logical_name}.{column.logical_name}"
    for option in missing:
        session.report.created.append(f"choice value {name}={option['Value']}")
        _option_action(session, "InsertOptionValue", table, column, option, merge=False)
    for option in relabelled:
        session.report.updated.append(f"choice value {name}={option['Value']} (Label)")
        _option_action(session, "UpdateOptionValue", table, column, option, merge=True)


def _option_action(
    session: ApplySession, action: str, table: Table, column: Column, option: Json, *, merge: bool
) -> None:
    session.touch(table)
    body = {
        "EntityLogicalName": table.logical_name,
        "AttributeLogicalName": column.logical_name,
        "Value": option["Value"],
        "Label": option["Label"],
        "SolutionUniqueName": session.report.solution,
    }
    if merge:
        body["MergeLabels"] = True
    session.write("POST", action, body, idempotent=False)


def _attribute_path(table: Table, column: Column) -> str:
    return f"EntityDefinitions(LogicalName='{table.logical_name}')/Attributes(LogicalName='{column.logical_name}')"
