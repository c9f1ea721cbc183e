"""The ``customizations.xml`` of the CommSuite solution, generated from the schema (X-01).

The document follows the Dynamics 365 customization schema (``CustomizationsSolution.xsd``,
9.0.0.2090) and, where the schema leaves a choice, the shape real Dataverse exports use:
tables the suite owns appear whole (settings, every column, alternate keys); standard
tables it extends appear with only the suite's columns, as an export of a "shell only"
table does. Lookups become one-to-many relationships, global choices go to the root
``optionsets`` section. English labels are always written; Persian (1065) labels are added
where the schema has them.

Other parts of the solution (security roles, and later forms, views, ribbons, web
resources) hand in ready-made elements through ``sections`` and ``entity_parts``; this
module places them where the schema wants them. Output is deterministic: the same input
gives the same bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping, Sequence

from dataverse_schema.model import (
    ENGLISH,
    PERSIAN,
    PUBLISHER_PREFIX,
    AlternateKey,
    Cascade,
    Column,
    ColumnType,
    DateTimeFormat,
    OptionSet,
    Relationship,
    RequiredLevel,
    Table,
)
from dataverse_schema.system_columns import system_columns

#: The children of ``ImportExportXml`` in the order the XSD's ``xs:sequence`` fixes.
SECTION_ORDER = (
    "Entities", "Roles", "Workflows", "FieldSecurityProfiles", "Templates", "RibbonDiffXml", "IsvConfig",
    "RelationshipRoles", "ConnectionRoles", "SiteMap", "EntityMaps", "EntityRelationships",
    "OrganizationSettings", "optionsets", "Reports", "RoutingRules", "ChannelPropertyGroups", "ConvertRules",
    "MobileOfflineProfiles", "Slas", "ChannelAccessProfiles", "ChannelAccessProfileRules", "Dashboards",
    "InteractionCentricDashboards", "Dialogs", "WebResources", "CustomControls", "SolutionPluginAssemblies",
    "SdkMessageProcessingSteps", "ServiceEndpoints", "AppModuleSiteMaps", "AppModules", "EntityDataProviders",
    "EntityDataSources", "Languages", "GlobalSearchConfigurations", "StoredProcedures",
)
#: Sections a real export always writes, even when empty.
ALWAYS_WRITTEN = frozenset({
    "Entities", "Roles", "Workflows", "FieldSecurityProfiles", "Templates", "EntityMaps", "EntityRelationships",
    "OrganizationSettings", "optionsets", "CustomControls", "EntityDataProviders", "Languages",
})
#: Sections this module writes from the schema itself.
_GENERATED_SECTIONS = frozenset({"Entities", "EntityRelationships", "optionsets", "Languages"})
INTRODUCED_VERSION = "1.0.0.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

_REQUIRED = {
    RequiredLevel.NONE: "none",
    RequiredLevel.RECOMMENDED: "recommended",
    RequiredLevel.APPLICATION_REQUIRED: "required",
    RequiredLevel.SYSTEM_REQUIRED: "systemrequired",
}
_CRM_TYPE = {
    ColumnType.UNIQUEIDENTIFIER: "uniqueidentifier", ColumnType.STRING: "nvarchar", ColumnType.MEMO: "ntext",
    ColumnType.INTEGER: "int", ColumnType.BIGINT: "bigint", ColumnType.DECIMAL: "decimal",
    ColumnType.MONEY: "money", ColumnType.BOOLEAN: "bit", ColumnType.DATETIME: "datetime",
    ColumnType.PICKLIST: "picklist", ColumnType.STATE: "state", ColumnType.STATUS: "status",
    ColumnType.MULTI_PICKLIST: "multiselectpicklist", ColumnType.LOOKUP: "lookup",
    ColumnType.CUSTOMER: "customer", ColumnType.OWNER: "owner", ColumnType.PARTYLIST: "partylist",
}
#: Value ranges Dataverse gives a numeric column when none is set.
_DEFAULT_RANGE = {
    ColumnType.INTEGER: (-2147483648, 2147483647),
    ColumnType.BIGINT: (-9223372036854775808, 9223372036854775807),
    ColumnType.DECIMAL: (-100000000000, 100000000000),
    ColumnType.MONEY: (-922337203685477, 922337203685477),
}
#: Dataverse's classic state / status pairs: state value → (invariant name, its default status).
_ACTIVITY_STATES = {0: ("Open", 1), 1: ("Completed", 2), 2: ("Canceled", 3), 3: ("Scheduled", 4)}
_RECORD_STATES = {0: ("Active", 1), 1: ("Inactive", 2)}

Labels = tuple[str, str | None]
#: Table settings in the order a Dataverse export writes them; per-table values are filled in.
_ENTITY_SETTINGS: dict[str, object] = dict.fromkeys(
    ("EntitySetName", "IsDuplicateCheckSupported", "IsBusinessProcessEnabled", "IsRequiredOffline",
     "IsInteractionCentricEnabled", "IsCollaboration", "AutoRouteToOwnerQueue", "IsConnectionsEnabled",
     "IsDocumentManagementEnabled", "IsOneNoteIntegrationEnabled", "IsKnowledgeManagementEnabled", "IsSLAEnabled",
     "IsDocumentRecommendationsEnabled", "IsBPFEntity", "OwnershipTypeMask", "IsAuditEnabled", "IsActivity",
     "ActivityTypeMask", "IsActivityParty", "IsReplicated", "IsReplicationUserFiltered", "IsMailMergeEnabled",
     "IsVisibleInMobile", "IsVisibleInMobileClient", "IsReadOnlyInMobileClient", "IsOfflineInMobileClient",
     "DaysSinceRecordLastModified", "MobileOfflineFilters", "IsMapiGridEnabled", "IsReadingPaneEnabled",
     "IsQuickCreateEnabled", "SyncToExternalSearchIndex", "IntroducedVersion"), 0,
) | {
    "IsDuplicateCheckSupported": 1, "ActivityTypeMask": "CommunicationActivity", "IsVisibleInMobileClient": 1,
    "MobileOfflineFilters": "", "IsMapiGridEnabled": 1, "IsReadingPaneEnabled": 1, "IsQuickCreateEnabled": 1,
} | dict.fromkeys(
    ("IsCustomizable", "IsRenameable", "IsMappable", "CanModifyAuditSettings", "CanModifyMobileVisibility",
     "CanModifyMobileClientVisibility", "CanModifyMobileClientReadOnly", "CanModifyMobileClientOffline",
     "CanModifyConnectionSettings", "CanModifyDuplicateDetectionSettings", "CanModifyMailMergeSettings",
     "CanModifyQueueSettings", "CanCreateAttributes", "CanCreateForms", "CanCreateCharts", "CanCreateViews",
     "CanModifyAdditionalSettings", "CanEnableSyncToExternalSearchIndex"), 1,
) | {
    "EnforceStateTransitions": 0, "CanChangeHierarchicalRelationship": 1, "EntityHelpUrlEnabled": 0,
    "ChangeTrackingEnabled": 0, "CanChangeTrackingBeEnabled": 1, "IsEnabledForExternalChannels": 0,
    "HasRelatedNotes": "False", "HasRelatedActivities": "False",
}
#: Column flags in export order; per-column values are filled in.
_ATTRIBUTE_FLAGS: dict[str, object] = {
    "Type": "", "Name": "", "LogicalName": "", "RequiredLevel": "", "DisplayMask": "", "ImeMode": "auto",
    "ValidForUpdateApi": 1, "ValidForReadApi": 1, "ValidForCreateApi": 1, "IsCustomField": 1, "IsAuditEnabled": 1,
    "IsSecured": 0, "IntroducedVersion": "", "IsCustomizable": 1, "IsRenameable": 1, "CanModifySearchSettings": 1,
    "CanModifyRequirementLevelSettings": 1, "CanModifyAdditionalSettings": 1, "SourceType": 0,
    "IsGlobalFilterEnabled": 0, "IsSortableEnabled": 0, "CanModifyGlobalFilterSettings": 1,
    "CanModifyIsSortableSettings": 1, "IsDataSourceSecret": 0,
}


def build_customizations(
    tables: Sequence[Table],
    *,
    relationships: Sequence[Relationship] = (),
    option_sets: Sequence[OptionSet] = (),
    sections: Mapping[str, Sequence[ET.Element]] | None = None,
    entity_parts: Mapping[str, Sequence[ET.Element]] | None = None,
    reference_tables: Sequence[Table] = (),
    secured_columns: Collection[tuple[str, str]] = (),
    introduced_version: str = INTRODUCED_VERSION,
) -> ET.Element:
    """The ``ImportExportXml`` root for ``tables`` plus any extra ``sections`` / ``entity_parts``.

    ``sections`` maps a root section name (``Roles``, ``WebResources``, ...) to the children
    to put in it; ``entity_parts`` maps a table's logical name to extra children of its
    ``Entity`` element (``FormXml``, ``SavedQueries``, ...). ``reference_tables`` are
    tables outside the solution that relationships may point at (for their cased names);
    ``secured_columns`` lists ``(table, column)`` pairs under column security.
    """
    sections = dict(sections or {})
    parts = dict(entity_parts or {})
    _check_contributions(tables, sections, parts, secured_columns)
    ctx = _Context(tables, reference_tables, introduced_version, frozenset(secured_columns))
    generated = {
        "Entities": [ctx.entity(t, parts.get(t.logical_name, ())) for t in sorted(tables, key=_by_logical_name)],
        "EntityRelationships": [ctx.relationship(r) for r in sorted(relationships, key=lambda r: r.schema_name)],
        "optionsets": [ctx.global_option_set(o, tables) for o in sorted(option_sets, key=lambda o: o.name or "")],
        "Languages": [_text("Language", str(code)) for code in languages(tables, option_sets)],
    }
    root = ET.Element("ImportExportXml", {"xmlns:xsi": XSI})
    for name in SECTION_ORDER:
        children = list(generated.get(name, ())) + list(sections.get(name, ()))
        if children or name in ALWAYS_WRITTEN:
            ET.SubElement(root, name).extend(children)
    return root


def _check_contributions(
    tables: Sequence[Table],
    sections: Mapping[str, Sequence[ET.Element]],
    parts: Mapping[str, Sequence[ET.Element]],
    secured_columns: Collection[tuple[str, str]],
) -> None:
    refused = sorted(set(sections) - set(SECTION_ORDER) | set(sections) & _GENERATED_SECTIONS)
    if refused:
        raise ValueError(f"sections that cannot be handed in: {refused}")
    by_name = {t.logical_name: t for t in tables}
    if set(parts) - set(by_name):
        raise ValueError(f"entity parts for tables not in the solution: {sorted(set(parts) - set(by_name))}")
    unknown = sorted(f"{t}.{c}" for t, c in secured_columns if t not in by_name or not by_name[t].has_column(c))
    if unknown:
        raise ValueError(f"secured columns not in the solution: {unknown}")


def serialise(root: ET.Element) -> bytes:
    """UTF-8, indented by two spaces, no XML declaration (as Dataverse exports write it)."""
    ET.indent(root, space="  ")
    return ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def languages(tables: Iterable[Table], option_sets: Iterable[OptionSet] = ()) -> list[int]:
    """1033, plus 1065 when any table, column or choice carries a Persian label."""
    persian = any(_has_persian_table(t) for t in tables) or any(_has_persian_options(o) for o in option_sets)
    return [ENGLISH, PERSIAN] if persian else [ENGLISH]


def implied_relationships(tables: Sequence[Table], declared: Iterable[Relationship]) -> list[Relationship]:
    """One relationship for every lookup target that ``declared`` does not already cover.

    Dataverse needs a one-to-many relationship behind every lookup column; the name
    follows the maker portal's ``<referencing>_<lookup>_<referenced>`` pattern.
    """
    covered = {(r.referencing, r.lookup, r.referenced) for r in declared}
    implied = []
    for table in tables:
        for column in table.custom_columns:
            if column.type not in (ColumnType.LOOKUP, ColumnType.CUSTOMER):
                continue
            for target in column.targets:
                if (table.logical_name, column.logical_name, target) not in covered:
                    name = f"{table.logical_name}_{column.logical_name}_{target}"
                    implied.append(Relationship(name, target, table.logical_name, column.logical_name))
    return implied


class _Context:
    """What the element builders need to know about the whole solution."""

    def __init__(self, tables: Sequence[Table], references: Sequence[Table], introduced_version: str,
                 secured: frozenset[tuple[str, str]]) -> None:
        self.secured = secured
        self.tables = {t.logical_name: t for t in tables}
        self.references = {t.logical_name: t for t in references}
        self.version = introduced_version

    def schema_name(self, logical_name: str) -> str:
        known = self.tables.get(logical_name) or self.references.get(logical_name)
        return known.schema_name if known else logical_name

    # -- tables ---------------------------------------------------------------------------------

    def entity(self, table: Table, extra_parts: Sequence[ET.Element]) -> ET.Element:
        entity = ET.Element("Entity")
        ET.SubElement(entity, "Name", {
            "LocalizedName": table.display_name,
            "OriginalName": table.display_name if table.is_custom else "",
        }).text = table.schema_name
        info = ET.SubElement(ET.SubElement(entity, "EntityInfo"), "entity", {"Name": table.schema_name})
        if table.is_custom:
            _labels(info, "LocalizedNames", "LocalizedName", (table.display_name, table.display_name_fa))
            _labels(info, "LocalizedCollectionNames", "LocalizedCollectionName", (table.plural_display_name, None))
            _labels(info, "Descriptions", "Description", (table.description, None))
        attributes = ET.SubElement(info, "attributes")
        for column in sorted(self.columns_of(table), key=_by_logical_name):
            attributes.append(self.attribute(table, column))
        keys = [k for k in table.keys if table.is_custom or k.schema_name.startswith(PUBLISHER_PREFIX + "_")]
        if keys:
            info.append(self.entity_keys(keys))
        tags = [part.tag for part in extra_parts]
        if len(set(tags)) != len(tags) or {"Name", "EntityInfo"} & set(tags):
            raise ValueError(f"{table.logical_name}: entity parts must be distinct extra elements, got {tags}")
        if table.is_custom:
            info.extend(self.entity_settings(table))
        parts = list(extra_parts)
        if table.is_custom and "RibbonDiffXml" not in tags:
            parts.append(_empty_entity_ribbon())
        entity.extend(sorted(parts, key=_entity_part_rank))
        return entity

    def columns_of(self, table: Table) -> list[Column]:
        columns = list(table.columns + system_columns(table) if table.is_custom else table.custom_columns)
        if table.is_custom and not table.has_column(table.primary_id):
            derived = table.primary_id == f"{table.logical_name}id"
            schema_name = f"{table.schema_name}Id" if derived else table.primary_id
            columns.append(Column(table.primary_id, schema_name, ColumnType.UNIQUEIDENTIFIER,
                                  table.display_name, required=RequiredLevel.SYSTEM_REQUIRED))
        return columns

    def entity_settings(self, table: Table) -> list[ET.Element]:
        values = {
            **_ENTITY_SETTINGS,
            "EntitySetName": table.entity_set_name, "OwnershipTypeMask": table.ownership.value,
            "IsActivity": int(table.is_activity), "IsMailMergeEnabled": int(not table.is_activity),
            "IntroducedVersion": self.version, "ChangeTrackingEnabled": int(table.change_tracking),
            "HasRelatedNotes": str(table.has_notes), "HasRelatedActivities": str(table.has_activities),
        }
        return [_text(name, str(value)) for name, value in values.items()]

    def entity_keys(self, keys: Sequence[AlternateKey]) -> ET.Element:
        container = ET.Element("EntityKeys")
        for key in keys:
            element = ET.SubElement(container, "EntityKey")
            element.append(_text("Name", key.schema_name))
            element.append(_text("LogicalName", key.logical_name))
            element.append(_text("IntroducedVersion", self.version))
            element.append(_text("IsCustomizable", "1"))
            _labels(element, "displaynames", "displayname", (key.display_name, None))
            attributes = ET.SubElement(element, "EntityKeyAttributes")
            attributes.extend(_text("AttributeName", name) for name in key.columns)
        return container

    # -- columns --------------------------------------------------------------------------------

    def attribute(self, table: Table, column: Column) -> ET.Element:
        is_primary_id = column.logical_name == table.primary_id
        crm_type = "primarykey" if is_primary_id else _CRM_TYPE.get(column.type)
        if crm_type is None:
            raise ValueError(f"{table.logical_name}.{column.logical_name}: no solution type for {column.type}")
        element = ET.Element("attribute", {"PhysicalName": column.schema_name})
        flags = {
            **_ATTRIBUTE_FLAGS,
            "Type": crm_type, "Name": column.logical_name, "LogicalName": column.logical_name,
            "RequiredLevel": _REQUIRED[column.required], "DisplayMask": _display_mask(table, column),
            "ValidForUpdateApi": int(not is_primary_id), "IsCustomField": int(column.is_custom and not is_primary_id),
            "IntroducedVersion": self.version, "CanModifyRequirementLevelSettings": int(not is_primary_id),
            "IsSecured": int((table.logical_name, column.logical_name) in self.secured),
        }
        element.extend(_text(k, str(v)) for k, v in flags.items())
        if not is_primary_id:
            element.extend(self.type_details(table, column))
        _labels(element, "displaynames", "displayname", (column.display_name, column.display_name_fa))
        _labels(element, "Descriptions", "Description", (column.description, None))
        return element

    def type_details(self, table: Table, column: Column) -> list[ET.Element]:
        kind = column.type
        if kind in (ColumnType.STRING, ColumnType.MEMO):
            length = column.max_length or (2000 if kind is ColumnType.MEMO else 100)
            fmt = "textarea" if kind is ColumnType.MEMO else (column.string_format.value.lower()
                                                             if column.string_format else "text")
            details = [_text("Format", fmt), _text("MaxLength", str(length))]
            return details + ([_text("Length", str(length * 2))] if kind is ColumnType.STRING else [])
        if kind in _DEFAULT_RANGE:
            low, high = _DEFAULT_RANGE[kind]
            details = [_text("Format", ""), _text("MinValue", _number(column.min_value, low)),
                       _text("MaxValue", _number(column.max_value, high))]
            if kind in (ColumnType.DECIMAL, ColumnType.MONEY):
                details.append(_text("Accuracy", str(column.precision if column.precision is not None else 2)))
            if kind is ColumnType.MONEY:
                details.append(_text("AccuracySource", "2"))
            return details
        if kind is ColumnType.DATETIME:
            fmt = "date" if column.datetime_format is DateTimeFormat.DATE_ONLY else "datetime"
            return [_text("Format", fmt), _text("CanChangeDateTimeBehavior", "1"), _text("Behavior", "1")]
        if kind in (ColumnType.LOOKUP, ColumnType.CUSTOMER, ColumnType.OWNER):
            return [_text("LookupStyle", "single"), _lookup_types(kind)]
        if kind is ColumnType.BOOLEAN:
            return [_text("AppDefaultValue", str(int(bool(column.default)))), self.boolean_option_set(table, column)]
        if kind in (ColumnType.PICKLIST, ColumnType.MULTI_PICKLIST):
            return self.choice_details(table, column)
        if kind in (ColumnType.STATE, ColumnType.STATUS):
            return [self.state_option_set(table, column)]
        return []

    def choice_details(self, table: Table, column: Column) -> list[ET.Element]:
        options = _require_options(table, column)
        default = options.default if options.default is not None else -1
        if options.is_global:
            return [_text("AppDefaultValue", str(default)), _text("OptionSetName", options.name or "")]
        local = _option_set_element(
            f"{table.logical_name}_{column.logical_name}",
            "picklist",
            (column.display_name, column.display_name_fa), column.description, self.version)
        local.insert(1, _text("IsGlobal", "0"))
        local.append(_options_element(options))
        return [_text("AppDefaultValue", str(default)), local]

    def boolean_option_set(self, table: Table, column: Column) -> ET.Element:
        element = _option_set_element(f"{table.logical_name}_{column.logical_name}", "bit",
                                      (column.display_name, column.display_name_fa), column.description, self.version)
        labels = {1: ("Yes", "بله"), 0: ("No", "خیر")}
        if column.options is not None:
            labels = {o.value: (o.label, o.label_fa) for o in column.options.options}
        options = ET.SubElement(element, "options")
        for value in (1, 0):
            option = ET.SubElement(options, "option", {"value": str(value)})
            _labels(option, "labels", "label", labels[value])
        return element

    def state_option_set(self, table: Table, column: Column) -> ET.Element:
        options = _require_options(table, column)
        is_state = column.type is ColumnType.STATE
        element = _option_set_element(f"{table.logical_name}_{column.logical_name}",
                                      "state" if is_state else "status",
                                      (column.display_name, column.display_name_fa), column.description, self.version)
        pairs = _ACTIVITY_STATES if table.is_activity else _RECORD_STATES
        container = ET.SubElement(element, "states" if is_state else "statuses")
        for option in options.options:
            if is_state:
                invariant, default_status = pairs.get(option.value, (option.label.replace(" ", ""), option.value + 1))
                attrs = {"value": str(option.value), "defaultstatus": str(default_status), "invariantname": invariant}
                item = ET.SubElement(container, "state", attrs)
            else:
                item = ET.SubElement(container, "status", {"value": str(option.value),
                                                            "state": str(_state_of_status(table, option.value))})
            _labels(item, "labels", "label", (option.label, option.label_fa))
        return element

    # -- relationships and global choices -------------------------------------------------------

    def relationship(self, relationship: Relationship) -> ET.Element:
        referencing = self.tables.get(relationship.referencing)
        lookup = referencing.column(relationship.lookup) if referencing else None
        lookup_schema = lookup.schema_name if lookup else relationship.lookup
        element = ET.Element("EntityRelationship", {"Name": relationship.schema_name})
        fields = {
            "EntityRelationshipType": "OneToMany", "IsCustomizable": "1", "IntroducedVersion": self.version,
            "IsHierarchical": "0", "ReferencingEntityName": self.schema_name(relationship.referencing),
            "ReferencedEntityName": self.schema_name(relationship.referenced),
            "CascadeAssign": _security_cascade(relationship), "CascadeDelete": relationship.cascade_delete.value,
            "CascadeReparent": "NoCascade", "CascadeShare": "NoCascade", "CascadeUnshare": "NoCascade",
            "CascadeRollupView": "NoCascade", "IsValidForAdvancedFind": "1",
            "ReferencingAttributeName": lookup_schema,
        }
        element.extend(_text(k, v) for k, v in fields.items())
        description = ET.SubElement(element, "RelationshipDescription")
        _labels(description, "Descriptions", "Description", (lookup.description if lookup else "", None))
        roles = ET.SubElement(element, "EntityRelationshipRoles")
        referencing_role = ET.SubElement(roles, "EntityRelationshipRole")
        for name, value in (("NavPaneDisplayOption", "UseCollectionName"), ("NavPaneArea", "Details"),
                            ("NavPaneOrder", "10000"),
                            ("NavigationPropertyName", relationship.referencing_navigation),
                            ("RelationshipRoleType", "1")):
            referencing_role.append(_text(name, value))
        referenced_role = ET.SubElement(roles, "EntityRelationshipRole")
        referenced_role.append(_text("NavigationPropertyName", relationship.schema_name))
        referenced_role.append(_text("RelationshipRoleType", "0"))
        return element

    def global_option_set(self, options: OptionSet, tables: Sequence[Table]) -> ET.Element:
        if options.name is None:
            raise ValueError("a global choice needs a name")
        user = next((c for t in tables for c in t.columns if c.options is not None and c.options.name == options.name),
                    None)
        label: Labels = (user.display_name, user.display_name_fa) if user else (_humanise(options.name), None)
        element = _option_set_element(options.name, "picklist", label, "", self.version)
        element.set("localizedName", label[0])
        element.set("description", "")
        element.insert(1, _text("IsGlobal", "1"))
        element.append(_options_element(options))
        return element


#: The order of an ``Entity``'s children in exports: Name, EntityInfo, then these (the XSD allows any order).
ENTITY_PART_ORDER = ("FormXml", "SavedQueries", "Visualizations", "RibbonDiffXml", "CustomControlDefaultConfigs")


def _entity_part_rank(part: ET.Element) -> int:
    return ENTITY_PART_ORDER.index(part.tag) if part.tag in ENTITY_PART_ORDER else len(ENTITY_PART_ORDER)


def _state_of_status(table: Table, status_value: int) -> int:
    """The state a status reason belongs to; custom status reasons need a matching classic one."""
    pairs = _ACTIVITY_STATES if table.is_activity else _RECORD_STATES
    for state, (_, default_status) in pairs.items():
        if default_status == status_value:
            return state
    raise ValueError(f"{table.logical_name}: status reason {status_value} has no known state")


def _option_set_element(name: str, kind: str, label: Labels, description: str, version: str) -> ET.Element:
    element = ET.Element("optionset", {"Name": name})
    element.append(_text("OptionSetType", kind))
    element.append(_text("IntroducedVersion", version))
    element.append(_text("IsCustomizable", "1"))
    _labels(element, "displaynames", "displayname", label)
    _labels(element, "Descriptions", "Description", (description, None))
    return element


def _options_element(options: OptionSet) -> ET.Element:
    element = ET.Element("options")
    for option in options.options:
        item = ET.SubElement(element, "option", {"value": str(option.value)})
        _labels(item, "labels", "label", (option.label, option.label_fa))
    return element


def _require_options(table: Table, column: Column) -> OptionSet:
    if column.options is None or not column.options.options:
        raise ValueError(f"{table.logical_name}.{column.logical_name}: a choice column needs options")
    return column.options


def _lookup_types(kind: ColumnType) -> ET.Element:
    element = ET.Element("LookupTypes")
    codes = {ColumnType.OWNER: (8, 9), ColumnType.CUSTOMER: (1, 2)}.get(kind, ())
    for code in codes:
        element.append(_text("LookupType", str(code), id="00000000-0000-0000-0000-000000000000"))
    return element


def _display_mask(table: Table, column: Column) -> str:
    if column.logical_name == table.primary_id:
        return "ValidForAdvancedFind|RequiredForGrid"
    if column.logical_name == table.primary_name:
        return "PrimaryName|ValidForAdvancedFind|ValidForForm|ValidForGrid|RequiredForForm"
    return "ValidForAdvancedFind|ValidForForm|ValidForGrid"


def _security_cascade(relationship: Relationship) -> str:
    if relationship.cascade_assign in (Cascade.REMOVE_LINK, Cascade.RESTRICT):
        raise ValueError(f"{relationship.schema_name}: assign cannot {relationship.cascade_assign.value}")
    return relationship.cascade_assign.value


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


def _labels(parent: ET.Element, container: str, item: str, label: Labels) -> None:
    english, persian = label
    holder = ET.SubElement(parent, container)
    ET.SubElement(holder, item, {"description": english, "languagecode": str(ENGLISH)})
    if persian:
        ET.SubElement(holder, item, {"description": persian, "languagecode": str(PERSIAN)})


def _text(tag: str, text: str, **attributes: str) -> ET.Element:
    element = ET.Element(tag, attributes)
    element.text = text
    return element


def _number(value: float | None, fallback: int) -> str:
    if value is None:
        return str(fallback)
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _humanise(name: str) -> str:
    return name.split("_", 1)[-1].replace("_", " ").capitalize()


def _has_persian_options(options: OptionSet | None) -> bool:
    return options is not None and any(o.label_fa for o in options.options)


def _has_persian_table(table: Table) -> bool:
    columns = table.columns if table.is_custom else table.custom_columns
    return bool(table.is_custom and table.display_name_fa) or any(
        c.display_name_fa or _has_persian_options(c.options) for c in columns)


def _by_logical_name(item: Table | Column) -> str:
    return item.logical_name
