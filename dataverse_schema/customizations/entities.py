"""Tables in ``customizations.xml``: one ``Entity`` each, with its columns, alternate keys and settings.

Tables the suite owns appear whole; standard tables it extends appear with only
the suite's columns, as an export of a "shell only" table does.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from dataverse_schema.customizations.attributes import attribute
from dataverse_schema.customizations.elements import Context, by_logical_name, labels, text
from dataverse_schema.model import PUBLISHER_PREFIX, AlternateKey, Column, ColumnType, RequiredLevel, Table
from dataverse_schema.system_columns import system_columns

#: Table settings in the order a Dataverse export writes them; per-table values are filled in.
_ENTITY_SETTINGS: dict[str, object] = (
    dict.fromkeys(
        (
            "EntitySetName",
            "IsDuplicateCheckSupported",
            "IsBusinessProcessEnabled",
            "IsRequiredOffline",
            "IsInteractionCentricEnabled",
            "IsCollaboration",
            "AutoRouteToOwnerQueue",
            "IsConnectionsEnabled",
            "IsDocumentManagementEnabled",
            "IsOneNoteIntegrationEnabled",
            "IsKnowledgeManagementEnabled",
            "IsSLAEnabled",
            "IsDocumentRecommendationsEnabled",
            "IsBPFEntity",
            "OwnershipTypeMask",
            "IsAuditEnabled",
            "IsActivity",
            "ActivityTypeMask",
            "IsActivityParty",
            "IsReplicated",
            "IsReplicationUserFiltered",
            "IsMailMergeEnabled",
            "IsVisibleInMobile",
            "IsVisibleInMobileClient",
            "IsReadOnlyInMobileClient",
            "IsOfflineInMobileClient",
            "DaysSinceRecordLastModified",
            "MobileOfflineFilters",
            "IsMapiGridEnabled",
            "IsReadingPaneEnabled",
            "IsQuickCreateEnabled",
            "SyncToExternalSearchIndex",
            "IntroducedVersion",
        ),
        0,
    )
    | {
        "IsDuplicateCheckSupported": 1,
        "ActivityTypeMask": "CommunicationActivity",
        "IsVisibleInMobileClient": 1,
        "MobileOfflineFilters": "",
        "IsMapiGridEnabled": 1,
        "IsReadingPaneEnabled": 1,
        "IsQuickCreateEnabled": 1,
    }
    | dict.fromkeys(
        (
            "IsCustomizable",
            "IsRenameable",
            "IsMappable",
            "CanModifyAuditSettings",
            "CanModifyMobileVisibility",
            "CanModifyMobileClientVisibility",
            "CanModifyMobileClientReadOnly",
            "CanModifyMobileClientOffline",
            "CanModifyConnectionSettings",
            "CanModifyDuplicateDetectionSettings",
            "CanModifyMailMergeSettings",
            "CanModifyQueueSettings",
            "CanCreateAttributes",
            "CanCreateForms",
            "CanCreateCharts",
            "CanCreateViews",
            "CanModifyAdditionalSettings",
            "CanEnableSyncToExternalSearchIndex",
        ),
        1,
    )
    | {
        "EnforceStateTransitions": 0,
        "CanChangeHierarchicalRelationship": 1,
        "EntityHelpUrlEnabled": 0,
        "ChangeTrackingEnabled": 0,
        "CanChangeTrackingBeEnabled": 1,
        "IsEnabledForExternalChannels": 0,
        "HasRelatedNotes": "False",
        "HasRelatedActivities": "False",
    }
)
#: The order of an ``Entity``'s children in exports: Name, EntityInfo, then these (the XSD allows any order).
ENTITY_PART_ORDER = ("FormXml", "SavedQueries", "Visualizations", "RibbonDiffXml", "CustomControlDefaultConfigs")


def entity(ctx: Context, table: Table, extra_parts: Sequence[ET.Element]) -> ET.Element:
    """The ``Entity`` of ``table`` with ``extra_parts`` (forms, views, ribbon, ...) in export order."""
    element = ET.Element("Entity")
    ET.SubElement(
        element,
        "Name",
        {
            "LocalizedName": table.display_name,
            "OriginalName": table.display_name if table.is_custom else "",
        },
    ).text = table.schema_name
    info = ET.SubElement(ET.SubElement(element, "EntityInfo"), "entity", {"Name": table.schema_name})
    if table.is_custom:
        labels(info, "LocalizedNames", "LocalizedName", (table.display_name, table.display_name_fa))
        labels(info, "LocalizedCollectionNames", "LocalizedCollectionName", (table.plural_display_name, None))
        labels(info, "Descriptions", "Description", (table.description, None))
    attributes = ET.SubElement(info, "attributes")
    for column in sorted(_columns_of(table), key=by_logical_name):
        attributes.append(attribute(ctx, table, column))
    keys = [k for k in table.keys if table.is_custom or k.schema_name.startswith(PUBLISHER_PREFIX + "_")]
    if keys:
        info.append(_entity_keys(ctx, keys))
    tags = [part.tag for part in extra_parts]
    if len(set(tags)) != len(tags) or {"Name", "EntityInfo"} & set(tags):
        raise ValueError(f"{table.logical_name}: entity parts must be distinct extra elements, got {tags}")
    if table.is_custom:
        info.extend(_entity_settings(ctx, table))
    parts = list(extra_parts)
    if table.is_custom and "RibbonDiffXml" not in tags:
        parts.append(_empty_entity_ribbon())
    element.extend(sorted(parts, key=_entity_part_rank))
    return element


def _columns_of(table: Table) -> list[Column]:
    columns = list(table.columns + system_columns(table) if table.is_custom else table.custom_columns)
    if table.is_custom and not table.has_column(table.primary_id):
        derived = table.primary_id == f"{table.logical_name}id"
        schema_name = f"{table.schema_name}Id" if derived else table.primary_id
        columns.append(
            Column(
                table.primary_id,
                schema_name,
                ColumnType.UNIQUEIDENTIFIER,
                table.display_name,
                required=RequiredLevel.SYSTEM_REQUIRED,
            )
        )
    return columns


def _entity_settings(ctx: Context, table: Table) -> list[ET.Element]:
    values = {
        **_ENTITY_SETTINGS,
        "EntitySetName": table.entity_set_name,
        "OwnershipTypeMask": table.ownership.value,
        "IsActivity": int(table.is_activity),
        "IsMailMergeEnabled": int(not table.is_activity),
        "IntroducedVersion": ctx.version,
        "ChangeTrackingEnabled": int(table.change_tracking),
        "HasRelatedNotes": str(table.has_notes),
        "HasRelatedActivities": str(table.has_activities),
    }
    return [text(name, str(value)) for name, value in values.items()]


def _entity_keys(ctx: Context, keys: Sequence[AlternateKey]) -> ET.Element:
    container = ET.Element("EntityKeys")
    for key in keys:
        element = ET.SubElement(container, "EntityKey")
        element.append(text("Name", key.schema_name))
        element.append(text("LogicalName", key.logical_name))
        element.append(text("IntroducedVersion", ctx.version))
        element.append(text("IsCustomizable", "1"))
        labels(element, "displaynames", "displayname", (key.display_name, None))
        attributes = ET.SubElement(element, "EntityKeyAttributes")
        attributes.extend(text("AttributeName", name) for name in key.columns)
    return container


def _entity_part_rank(part: ET.Element) -> int:
    return ENTITY_PART_ORDER.index(part.tag) if part.tag in ENTITY_PART_ORDER else len(ENTITY_PART_ORDER)


def _empty_entity_ribbon() -> ET.Element:
    ribbon = ET.Element("RibbonDiffXml")
    ET.SubElement(ribbon, "CustomActions")
    templates = ET.SubElement(ET.SubElement(ribbon, "Templates"), "RibbonTemplates", {"Id": "Mscrm.Templates"})
    templates.text = ""
    ET.SubElement(ribbon, "CommandDefinitions")
    rules = ET.SubElement(ribbon, "RuleDefinitions")
    for name in ("TabDisplayRules", "DisplayRules", "EnableRules"):
        ET.SubElement(rules, name)
    ET.SubElement(ribbon, "LocLabels")
    return ribbon
