"""One-to-many relationships in ``customizations.xml``: one ``EntityRelationship`` per lookup."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from dataverse_schema.customizations.elements import Context, labels, text
from dataverse_schema.model import Cascade, Relationship


def relationship(ctx: Context, declared: Relationship) -> ET.Element:
    """The ``EntityRelationship`` of ``declared``, with its cascades and both navigation roles."""
    referencing = ctx.tables.get(declared.referencing)
    lookup = referencing.column(declared.lookup) if referencing else None
    lookup_schema = lookup.schema_name if lookup else declared.lookup
    element = ET.Element("EntityRelationship", {"Name": declared.schema_name})
    fields = {
        "EntityRelationshipType": "OneToMany",
        "IsCustomizable": "1",
        "IntroducedVersion": ctx.version,
        "IsHierarchical": "0",
        "ReferencingEntityName": ctx.schema_name(declared.referencing),
        "ReferencedEntityName": ctx.schema_name(declared.referenced),
        "CascadeAssign": _security_cascade(declared),
        "CascadeDelete": declared.cascade_delete.value,
        "CascadeReparent": "NoCascade",
        "CascadeShare": "NoCascade",
        "CascadeUnshare": "NoCascade",
        "CascadeRollupView": "NoCascade",
        "IsValidForAdvancedFind": "1",
        "ReferencingAttributeName": lookup_schema,
    }
    element.extend(text(k, v) for k, v in fields.items())
    description = ET.SubElement(element, "RelationshipDescription")
    labels(description, "Descriptions", "Description", (lookup.description if lookup else "", None))
    roles = ET.SubElement(element, "EntityRelationshipRoles")
    referencing_role = ET.SubElement(roles, "EntityRelationshipRole")
    for name, value in (
        ("NavPaneDisplayOption", "UseCollectionName"),
        ("NavPaneArea", "Details"),
        ("NavPaneOrder", "10000"),
        ("NavigationPropertyName", declared.referencing_navigation),
        ("RelationshipRoleType", "1"),
    ):
        referencing_role.append(text(name, value))
    referenced_role = ET.SubElement(roles, "EntityRelationshipRole")
    referenced_role.append(text("NavigationPropertyName", declared.schema_name))
    referenced_role.append(text("RelationshipRoleType", "0"))
    return element


def _security_cascade(declared: Relationship) -> str:
    if declared.cascade_assign in (Cascade.REMOVE_LINK, Cascade.RESTRICT):
        raise ValueError(f"{declared.schema_name}: assign cannot {declared.cascade_assign.value}")
    return declared.cascade_assign.value
