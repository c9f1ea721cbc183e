"""OneToManyRelationshipMetadata and ManyToManyRelationshipMetadata bodies as relationships."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from dataverse_schema.model import (
    Cascade,
    Column,
    ColumnType,
    ManyToManyRelationship,
    Relationship,
)
from emulator.metadata import invalid
from emulator.metadata.columns import OptionSetResolver, column_from_metadata
from emulator.metadata.fields import (
    enum_field,
    name_field,
)


def relationship_from_metadata(
    body: Mapping[str, Any], resolve_option_set: OptionSetResolver
) -> tuple[Relationship, Column]:
    """A one-to-many relationship and the lookup column it creates on the referencing table."""
    odata_type = str(body.get("@odata.type", "")).lstrip("#")
    if odata_type and odata_type != "Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata":
        raise invalid(
            f"'{odata_type}' is not a relationship type; use OneToManyRelationshipMetadata or "
            "ManyToManyRelationshipMetadata."
        )
    referenced, referencing = name_field(body, "ReferencedEntity"), name_field(body, "ReferencingEntity")
    lookup_body = body.get("Lookup")
    if not isinstance(lookup_body, Mapping):
        raise invalid("OneToManyRelationshipMetadata needs a 'Lookup' LookupAttributeMetadata.")
    lookup = column_from_metadata({**lookup_body, "Targets": [referenced]}, resolve_option_set)
    if lookup.type is not ColumnType.LOOKUP:
        raise invalid("The relationship's 'Lookup' must be a LookupAttributeMetadata.")
    cascade = body.get("CascadeConfiguration") or {}
    relationship = Relationship(
        schema_name=name_field(body, "SchemaName"),
        referenced=referenced.lower(),
        referencing=referencing.lower(),
        lookup=lookup.logical_name,
        navigation=_navigation_name(body, lookup),
        cascade_delete=enum_field(Cascade, cascade.get("Delete", "RemoveLink"), "CascadeConfiguration.Delete"),
        cascade_assign=enum_field(Cascade, cascade.get("Assign", "NoCascade"), "CascadeConfiguration.Assign"),
    )
    return relationship, lookup


def many_to_many_from_metadata(body: Mapping[str, Any]) -> ManyToManyRelationship:
    """A many-to-many relationship from a ManyToManyRelationshipMetadata body.

    Dataverse names both navigation properties after the schema name unless the body says otherwise.
    """
    schema_name = name_field(body, "SchemaName")
    navigations = []
    for side in ("Entity1NavigationPropertyName", "Entity2NavigationPropertyName"):
        declared = body.get(side)
        if declared is not None and (
            not isinstance(declared, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", declared)
        ):
            raise invalid(f"'{side}' must be a valid property name.")
        navigations.append(declared)
    intersect = name_field(body, "IntersectEntityName").lower()
    return ManyToManyRelationship(
        schema_name,
        name_field(body, "Entity1LogicalName").lower(),
        name_field(body, "Entity2LogicalName").lower(),
        intersect,
        *navigations,
    )


def updated_relationship(old: Relationship, body: Mapping[str, Any]) -> Relationship:
    """``old`` with the navigation property name and cascades a relationship ``PUT`` sends."""
    cascade = body.get("CascadeConfiguration") or {}
    declared = body.get("ReferencingEntityNavigationPropertyName", old.navigation)
    if declared is not None and (
        not isinstance(declared, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", declared)
    ):
        raise invalid("'ReferencingEntityNavigationPropertyName' must be a valid property name.")
    return replace(
        old,
        navigation=declared,
        cascade_delete=enum_field(
            Cascade, cascade.get("Delete", old.cascade_delete.value), "CascadeConfiguration.Delete"
        ),
        cascade_assign=enum_field(
            Cascade, cascade.get("Assign", old.cascade_assign.value), "CascadeConfiguration.Assign"
        ),
    )


def _navigation_name(body: Mapping[str, Any], lookup: Column) -> str:
    """The navigation property the relationship declares; Dataverse's default is the lookup's schema name."""
    declared = body.get("ReferencingEntityNavigationPropertyName")
    if declared is None:
        return lookup.schema_name
    if not isinstance(declared, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,99}", declared):
        raise invalid("'ReferencingEntityNavigationPropertyName' must be a valid property name.")
    return declared
