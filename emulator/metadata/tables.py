"""EntityMetadata bodies as :class:`Table` (with the columns Dataverse adds to every table) and
EntityKeyMetadata as :class:`AlternateKey`.

A new table gets the columns Dataverse adds to every table (primary key, owner, status,
created/modified on; for an activity the columns inherited from ``activitypointer``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from dataverse_schema import columns as build
from dataverse_schema import standard
from dataverse_schema.model import (
    PERSIAN,
    AlternateKey,
    ColumnType,
    Ownership,
    Table,
)
from emulator.metadata import invalid
from emulator.metadata.columns import OptionSetResolver, column_from_metadata
from emulator.metadata.fields import (
    enum_field,
    flag,
    label_field,
    label_text,
    name_field,
    optional_name,
    required_label,
)

CREATABLE_OWNERSHIP = (Ownership.USER, Ownership.TEAM, Ownership.ORGANIZATION)


def table_from_metadata(body: Mapping[str, Any], resolve_option_set: OptionSetResolver) -> Table:
    """A new custom table from a ``POST EntityDefinitions`` body."""
    schema_name = name_field(body, "SchemaName")
    logical = schema_name.lower()
    is_activity = flag(body, "IsActivity")
    ownership = _ownership(body.get("OwnershipType", "UserOwned"))
    attributes = body.get("Attributes")
    if not isinstance(attributes, list):
        raise invalid("EntityMetadata needs an 'Attributes' array holding the primary name column.")
    primaries = [a for a in attributes if isinstance(a, Mapping) and a.get("IsPrimaryName") is True]
    if len(primaries) != 1:
        raise invalid(
            f"EntityMetadata must have exactly one attribute with IsPrimaryName true; found {len(primaries)}."
        )
    primary = column_from_metadata(primaries[0], resolve_option_set)
    if primary.type is not ColumnType.STRING:
        raise invalid("The primary name attribute must be a StringAttributeMetadata.")
    others = tuple(column_from_metadata(a, resolve_option_set) for a in attributes if a is not primaries[0])
    if is_activity:
        if primary.logical_name != "subject":
            raise invalid("The primary name column of an activity table must have the SchemaName 'Subject'.")
        inherited = build.activity_columns(
            subject_length=primary.max_length or 200,
            regarding=standard.REGARDING_TARGETS,
            parties=standard.PARTY_TARGETS,
        )
        all_columns, primary_id = inherited + others, "activityid"
    else:
        primary_id_column = build.unique_id(schema_name + "Id", label_field(body, "DisplayName") or schema_name)
        owner = (build.owner(),) if ownership in (Ownership.USER, Ownership.TEAM) else ()
        all_columns = (
            primary_id_column,
            primary,
            *others,
            *owner,
            build.state(),
            build.status(),
            *build.audit_columns(),
        )
        primary_id = primary_id_column.logical_name
    try:
        return Table(
            logical_name=logical,
            schema_name=schema_name,
            entity_set_name=optional_name(body, "EntitySetName") or build.entity_set_name(logical),
            display_name=required_label(body, "DisplayName"),
            plural_display_name=required_label(body, "DisplayCollectionName"),
            primary_id=primary_id,
            primary_name=primary.logical_name,
            columns=all_columns,
            description=label_field(body, "Description") or "",
            is_custom=True,
            is_activity=is_activity,
            ownership=ownership,
            has_notes=flag(body, "HasNotes"),
            has_activities=flag(body, "HasActivities"),
            display_name_fa=label_text(body.get("DisplayName"), PERSIAN),
            change_tracking=flag(body, "ChangeTrackingEnabled", default=True),
            area="custom",
        )
    except ValueError as exc:
        raise invalid(str(exc)) from exc


def updated_table(table: Table, body: Mapping[str, Any]) -> Table:
    """``table`` with the table-level properties of a ``PUT EntityDefinitions(...)`` body; columns stay."""
    if body.get("SchemaName", table.schema_name) != table.schema_name:
        raise invalid("A table's SchemaName cannot be changed.")
    return replace(
        table,
        display_name=label_field(body, "DisplayName") or table.display_name,
        plural_display_name=label_field(body, "DisplayCollectionName") or table.plural_display_name,
        description=label_field(body, "Description") if "Description" in body else table.description,
        display_name_fa=label_text(body.get("DisplayName"), PERSIAN) or table.display_name_fa,
        has_notes=flag(body, "HasNotes", default=table.has_notes),
        has_activities=flag(body, "HasActivities", default=table.has_activities),
        change_tracking=flag(body, "ChangeTrackingEnabled", default=table.change_tracking),
    )


def key_from_metadata(body: Mapping[str, Any]) -> AlternateKey:
    """An alternate key from an EntityKeyMetadata body."""
    attributes = body.get("KeyAttributes")
    if not isinstance(attributes, list) or not attributes or not all(isinstance(a, str) and a for a in attributes):
        raise invalid("EntityKeyMetadata needs a non-empty 'KeyAttributes' list of column logical names.")
    if len(attributes) > 16:
        raise invalid("An alternate key can have at most 16 columns.")
    schema_name = name_field(body, "SchemaName")
    return AlternateKey(
        schema_name=schema_name, columns=tuple(attributes), display_name=label_field(body, "DisplayName") or schema_name
    )


def _ownership(value: Any) -> Ownership:
    ownership = enum_field(Ownership, value, "OwnershipType")
    if ownership not in CREATABLE_OWNERSHIP:
        raise invalid(f"OwnershipType must be one of {', '.join(o.value for o in CREATABLE_OWNERSHIP)}.")
    return ownership
