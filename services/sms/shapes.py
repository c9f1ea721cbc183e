"""A table's columns, lookup navigations and secured columns, read from the Dataverse metadata (SMS-12).

Template placeholders are checked against these names, and lookups are
followed through the navigation property each target table has. Two metadata
reads per table, kept for the life of the worker (the schema changes only on a
solution import, after which the Functions host restarts).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dataverse_schema
from connectors.dataverse import DataverseClient, odata
from connectors.dataverse.errors import BadResponseError
from connectors.dataverse.replies import json_object, page_values
from dataverse_schema import navigation
from dataverse_schema.names import Sms
from domain.sms.related import TableShape

_LOOKUPS = "Microsoft.Dynamics.CRM.LookupAttributeMetadata"


def read_table_shape(client: DataverseClient, table: str) -> tuple[TableShape, frozenset[str]]:
    """``table``'s column names and lookup targets, and its column-secured columns (``IsSecured``).

    Raises the client's errors (``NotFoundError``: no table).
    """
    base = f"EntityDefinitions(LogicalName={odata.literal(odata.identifier(table, 'table'))})/Attributes"
    columns = _rows(client, base, "LogicalName,IsSecured")
    lookups = _rows(client, f"{base}/{_LOOKUPS}", "LogicalName,SchemaName,AttributeType,IsCustomAttribute,Targets")
    shape = TableShape(
        table,
        frozenset(str(row["LogicalName"]) for row in columns),
        {str(row["LogicalName"]): _navigations(table, row) for row in lookups},
    )
    return shape, frozenset(str(row["LogicalName"]) for row in columns if row.get("IsSecured") is True)


@dataclass(frozen=True)
class TableNames:
    """What a request needs to address a table's rows: its entity set and its primary key column."""

    entity_set: str
    primary_id: str


class TableDirectory:
    """What the templates need to know of any table, read once per table for the life of the worker: its
    :class:`TableNames` (the schema registry's, else its metadata's), its shape and its secured columns."""

    def __init__(self, client: DataverseClient) -> None:
        self._client = client
        self._names: dict[str, TableNames] = {}
        self._shapes: dict[str, tuple[TableShape, frozenset[str]]] = {}

    def shape(self, table: str) -> TableShape:
        """Its columns and lookup targets (:func:`read_table_shape`); ``NotFoundError`` when there is no such
        table. Read with the app's rights: metadata is not per user."""
        if table not in self._shapes:
            self._shapes[table] = read_table_shape(self._client, table)
        return self._shapes[table][0]

    def secured_columns(self, table: str) -> frozenset[str]:
        """Its column-secured columns (``IsSecured`` in its metadata), read with its shape."""
        self.shape(table)
        return self._shapes[table][1]

    def names(self, table: str) -> TableNames:
        """Raises the client's errors (``NotFoundError``: no such table)."""
        if table not in self._names:
            try:
                known = dataverse_schema.table(table)
                self._names[table] = TableNames(known.entity_set_name, known.primary_id)
            except KeyError:
                self._names[table] = _read_names(self._client, table)
        return self._names[table]


def _read_names(client: DataverseClient, table: str) -> TableNames:
    path = f"EntityDefinitions(LogicalName={odata.literal(odata.identifier(table, 'table'))})"
    reply = client.request("GET", path, params={"$select": "EntitySetName,PrimaryIdAttribute"}, operation="metadata")
    definition = json_object(reply, "metadata")
    entity_set, primary_id = definition.get("EntitySetName"), definition.get("PrimaryIdAttribute")
    if not (isinstance(entity_set, str) and entity_set and isinstance(primary_id, str) and primary_id):
        raise BadResponseError(f"{table}'s metadata names no entity set or primary key", raw=reply.content)
    return TableNames(entity_set, primary_id)


def _rows(client: DataverseClient, path: str, select: str) -> list[Mapping[str, Any]]:
    body = json_object(client.request("GET", path, params={"$select": select}, operation="metadata"), "metadata")
    return [row for row in page_values(body, "metadata") if isinstance(row, Mapping) and "LogicalName" in row]


def _navigations(table: str, row: Mapping[str, Any]) -> dict[str, str]:
    """Target table → navigation property, by Dataverse's naming of lookup navigations.

    A customer or other many-table lookup has one property per target
    (``parentcustomerid_account``); ``regardingobjectid`` is named after the
    activity too; any other lookup has one property, its logical name (its
    schema name when custom).
    """
    name = str(row["LogicalName"])
    targets = [str(t) for t in row.get("Targets") or [] if isinstance(t, str)]
    kind = row.get("AttributeType")
    if name == Sms.REGARDINGOBJECTID:  # named alike on every activity table
        return {t: navigation.regarding(t, table) for t in targets}
    if kind == "Customer" or (len(targets) > 1 and kind != "Owner"):
        return {t: navigation.customer(name, t) for t in targets}
    base = str(row.get("SchemaName") or name) if row.get("IsCustomAttribute") else name
    return {t: base for t in targets}
