"""Addressing a record by primary id or alternate key (reference §1.6).

``set(<guid>)`` and ``set(<primaryid>=<guid>)`` address by id; otherwise the
key's property names must be exactly the columns of one declared alternate
key (a lookup column written ``_x_value``), or the request is refused with
Dataverse's "The key in the request URI is not valid ..." message. A GUID key value
(primary id, lookup, unique identifier) must be written bare; quoted, it is refused the same way.
"""

from __future__ import annotations

from decimal import Decimal

from dataverse_schema.model import Column, ColumnType, Table
from emulator.errors import bad_request
from emulator.odata.refs import RecordRef
from emulator.odata.sql import quote
from emulator.store.schema import Layout, type_column
from emulator.store.values import to_storage


def ref_where(layout: Layout, ref: RecordRef) -> tuple[str, list[object]]:
    """A ``WHERE`` condition (with parameters) selecting the record ``ref`` addresses."""
    if ref.id is not None:
        return f"{quote(layout.table.primary_id)} = ?", [ref.id]
    columns = _key_columns(layout.table, ref)
    where = " AND ".join(f"{quote(column.logical_name)} = ?" for column, _ in columns)
    return where, [value for _, value in columns]


def key_values(layout: Layout, ref: RecordRef) -> dict[str, object]:
    """Storage values an alternate-key reference fixes (empty for an id reference)."""
    if ref.id is not None or (ref.key is not None and set(ref.key) == {layout.table.primary_id}):
        return {}
    values: dict[str, object] = {}
    for column, value in _key_columns(layout.table, ref):
        values[column.logical_name] = value
        if column.is_lookup and len(column.targets) == 1:
            values[type_column(column)] = column.targets[0]
    return values


def _key_columns(table: Table, ref: RecordRef) -> list[tuple[Column, object]]:
    key = ref.key or {}
    if set(key) == {table.primary_id}:
        if table.primary_id not in ref.guid_keys:
            raise _invalid_key(table)
        return [(table.column(table.primary_id), key[table.primary_id])]
    for alternate in table.keys:
        by_url_name = {_url_name(table.column(name)): table.column(name) for name in alternate.columns}
        if set(by_url_name) == set(key):
            return [
                (by_url_name[name], _storage_value(table, by_url_name[name], value, name in ref.guid_keys))
                for name, value in key.items()
            ]
    raise _invalid_key(table)


def _url_name(column: Column) -> str:
    return column.value_property


def _storage_value(table: Table, column: Column, value: object, is_guid: bool) -> object:
    if column.is_lookup or column.type is ColumnType.UNIQUEIDENTIFIER:
        if not is_guid:
            raise _invalid_key(table)
        return value
    if is_guid:
        raise _invalid_key(table)
    return to_storage(table, column, float(value) if isinstance(value, Decimal) else value)


def _invalid_key(table: Table) -> Exception:
    """Microsoft.OData.Core's ``BadRequest_KeyOrAlternateKeyMismatch``, in full as Learn quotes it.

    It is also OData.Core's answer to a quoted GUID for an ``Edm.Guid`` key: its key literal parser
    takes a GUID without markup (``LiteralParser``: ``WithoutMarkup(XmlConvert.ToGuid)``), so
    ``accountid='<guid>'`` converts to nothing and no declared or alternate key matches.
    """
    resource = f"Microsoft.Dynamics.CRM.{table.logical_name}"
    return bad_request(
        f"The key in the request URI is not valid for resource '{resource}'. Ensure that the names and number "
        f"of key properties match the declared or alternate key properties for the resource '{resource}'."
    )
