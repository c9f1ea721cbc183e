"""``GET $metadata``: the CSDL document of the tables the emulator has installed.

Shaped as Dataverse's own (Microsoft Learn, "Web API EntityTypes", "Web API
properties", "Web API navigation properties"): one ``Schema`` with namespace
``Microsoft.Dynamics.CRM`` (alias ``mscrm``), an abstract ``crmbaseentity`` every
table derives from, one ``EntityType`` per table with its ``Key``, a
``Property`` per column (a lookup as its read-only ``_<lookup>_value``
``Edm.Guid``), single-valued ``NavigationProperty`` elements named exactly as
``@odata.bind`` must name them, with a ``ReferentialConstraint`` from the
``_<lookup>_value`` property to the target's key, and collection-valued ones
named after the relationship, each pointing at the other as ``Partner``. The
``EntityContainer`` (``System``) has one ``EntitySet`` per table with its
navigation bindings, and the functions and actions the suite calls.

The emulator's entity types derive from ``crmbaseentity`` directly, activities
included (Dataverse derives those from ``activitypointer``); names are the same.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from dataverse_schema.model import Column, ColumnType, DateTimeFormat, Table
from emulator.store.schema import Layout

EDMX = "http://docs.oasis-open.org/odata/ns/edmx"
EDM = "http://docs.oasis-open.org/odata/ns/edm"
NAMESPACE = "Microsoft.Dynamics.CRM"
ALIAS = "mscrm"
CONTAINER = "System"
BASE = "crmbaseentity"
#: The abstract type ``ownerid`` points at: a user or a team.
PRINCIPAL = "principal"

_EDM_TYPES = {
    ColumnType.UNIQUEIDENTIFIER: "Edm.Guid",
    ColumnType.STRING: "Edm.String",
    ColumnType.MEMO: "Edm.String",
    ColumnType.INTEGER: "Edm.Int32",
    ColumnType.BIGINT: "Edm.Int64",
    ColumnType.DECIMAL: "Edm.Decimal",
    ColumnType.MONEY: "Edm.Decimal",
    ColumnType.BOOLEAN: "Edm.Boolean",
    ColumnType.DATETIME: "Edm.DateTimeOffset",
    ColumnType.PICKLIST: "Edm.Int32",
    ColumnType.STATE: "Edm.Int32",
    ColumnType.STATUS: "Edm.Int32",
    ColumnType.MULTI_PICKLIST: "Edm.String",
    ColumnType.FILE: "Edm.Guid",
    ColumnType.LOOKUP: "Edm.Guid",
    ColumnType.CUSTOMER: "Edm.Guid",
    ColumnType.OWNER: "Edm.Guid",
}

#: (name, parameters, return type) of the functions and actions the suite calls, as Dataverse declares them.
#: A bound action's first parameter is its binding parameter.
FUNCTIONS = (("WhoAmI", (), "mscrm.WhoAmIResponse"),)
_ENTITIES = "Collection(mscrm.crmbaseentity)"
_MULTIPLE = (("entityset", _ENTITIES), ("Targets", _ENTITIES))
ACTIONS = (
    ("CreateMultiple", _MULTIPLE, "mscrm.CreateMultipleResponse"),
    ("UpdateMultiple", _MULTIPLE, None),
    ("UpsertMultiple", _MULTIPLE, "mscrm.UpsertMultipleResponse"),
    ("PublishXml", (("ParameterXml", "Edm.String"),), None),
    ("PublishAllXml", (), None),
    (
        "InsertOptionValue",
        (
            ("OptionSetName", "Edm.String"),
            ("AttributeLogicalName", "Edm.String"),
            ("EntityLogicalName", "Edm.String"),
            ("Value", "Edm.Int32"),
            ("Label", "mscrm.Label"),
            ("SolutionUniqueName", "Edm.String"),
        ),
        "mscrm.InsertOptionValueResponse",
    ),
    (
        "UpdateOptionValue",
        (
            ("OptionSetName", "Edm.String"),
            ("AttributeLogicalName", "Edm.String"),
            ("EntityLogicalName", "Edm.String"),
            ("Value", "Edm.Int32"),
            ("Label", "mscrm.Label"),
            ("MergeLabels", "Edm.Boolean"),
        ),
        None,
    ),
)
_BOUND = frozenset({"CreateMultiple", "UpdateMultiple", "UpsertMultiple"})
_COMPLEX_TYPES = (
    ("WhoAmIResponse", (("BusinessUnitId", "Edm.Guid"), ("UserId", "Edm.Guid"), ("OrganizationId", "Edm.Guid"))),
    ("CreateMultipleResponse", (("Ids", "Collection(Edm.Guid)"),)),
    ("UpsertMultipleResponse", (("Ids", "Collection(Edm.Guid)"),)),
    ("InsertOptionValueResponse", (("NewOptionValue", "Edm.Int32"),)),
    ("LocalizedLabel", (("Label", "Edm.String"), ("LanguageCode", "Edm.Int32"))),
    (
        "Label",
        (("LocalizedLabels", "Collection(mscrm.LocalizedLabel)"), ("UserLocalizedLabel", "mscrm.LocalizedLabel")),
    ),
)


def edm_type(column: Column) -> str | None:
    """The ``Edm`` type of a column's property; None for a party list (a navigation property only)."""
    if column.type is ColumnType.DATETIME and column.datetime_format is DateTimeFormat.DATE_ONLY:
        return "Edm.Date"
    return _EDM_TYPES.get(column.type)


def _sub(parent: ET.Element, tag: str, **attributes: str) -> ET.Element:
    return ET.SubElement(parent, f"{{{EDM}}}{tag}", attributes)


def document(layouts: Mapping[str, Layout]) -> bytes:
    """The whole ``$metadata`` document for the installed tables, UTF-8 XML."""
    ET.register_namespace("edmx", EDMX)
    ET.register_namespace("", EDM)
    root = ET.Element(f"{{{EDMX}}}Edmx", {"Version": "4.0"})
    services = ET.SubElement(root, f"{{{EDMX}}}DataServices")
    schema = _sub(services, "Schema", Namespace=NAMESPACE, Alias=ALIAS)
    _sub(schema, "EntityType", Name=BASE, Abstract="true")
    principal = _sub(schema, "EntityType", Name=PRINCIPAL, BaseType=f"{ALIAS}.{BASE}", Abstract="true")
    _sub(_sub(principal, "Key"), "PropertyRef", Name="ownerid")
    _sub(principal, "Property", Name="ownerid", Type="Edm.Guid", Nullable="false")
    ordered = [layouts[name] for name in sorted(layouts)]
    for layout in ordered:
        schema.append(entity_type(layout, layouts))
    for name, properties in _COMPLEX_TYPES:
        complex_type = _sub(schema, "ComplexType", Name=name)
        for prop, kind in properties:
            _sub(complex_type, "Property", Name=prop, Type=kind)
    _operations(schema)
    schema.append(_container(ordered, layouts))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def entity_type(layout: Layout, layouts: Mapping[str, Layout]) -> ET.Element:
    """One table's ``EntityType``: key, properties, single- and collection-valued navigation properties."""
    table = layout.table
    element = ET.Element(f"{{{EDM}}}EntityType", {"Name": table.logical_name, "BaseType": f"{ALIAS}.{BASE}"})
    _sub(_sub(element, "Key"), "PropertyRef", Name=table.primary_id)
    for column in layout.stored:
        kind = edm_type(column)
        if kind is None:
            continue
        name = column.value_property
        attributes = {"Name": name, "Type": kind}
        if column.logical_name == table.primary_id:
            attributes["Nullable"] = "false"
        _sub(element, "Property", **attributes)
    if table.has_column("ownerid"):
        owner = _sub(element, "NavigationProperty", Name="ownerid", Type=f"{ALIAS}.{PRINCIPAL}")
        _sub(owner, "ReferentialConstraint", Property="_ownerid_value", ReferencedProperty="ownerid")
    for name, target, column in single_valued(layout, layouts):
        target_table = layouts[target].table
        partner = _partner(table, column, target)
        attributes = {"Name": name, "Type": f"{ALIAS}.{target}"}
        if partner:
            attributes["Partner"] = partner
        navigation = _sub(element, "NavigationProperty", **attributes)
        _sub(
            navigation,
            "ReferentialConstraint",
            Property=column.value_property,
            ReferencedProperty=target_table.primary_id,
        )
    for name, referencing, partner in collection_valued(layout, layouts):
        attributes = {"Name": name, "Type": f"Collection({ALIAS}.{referencing})"}
        if partner:
            attributes["Partner"] = partner
        _sub(element, "NavigationProperty", **attributes)
    return element


def single_valued(layout: Layout, layouts: Mapping[str, Layout]) -> list[tuple[str, str, Column]]:
    """(navigation property, target table, lookup) of each single-valued navigation property whose
    target table is installed; ``ownerid`` points at the abstract ``principal``."""
    found = []
    for name, (column, fixed) in sorted(layout.navigations.items()):
        targets = (fixed,) if fixed else column.targets
        if column.type is ColumnType.OWNER:
            continue
        if len(targets) == 1 and targets[0] in layouts:
            found.append((name, targets[0], column))
    return found


def collection_valued(layout: Layout, layouts: Mapping[str, Layout]) -> list[tuple[str, str, str | None]]:
    """(navigation property, related table, partner) of each one-to-many relationship the table is the
    referenced side of, named after the relationship (``ReferencedEntityNavigationPropertyName``), then of
    each many-to-many relationship it takes part in, partnered with the other side's navigation property
    (collection-valued on both sides, as Dataverse lists ``teammembership_association``)."""
    table = layout.table
    found = []
    for other in sorted(layouts.values(), key=lambda item: item.table.logical_name):
        for relationship in other.table.relationships:
            if relationship.referenced == table.logical_name and other.table.has_column(relationship.lookup):
                partner = other.table.navigation(relationship.lookup, table.logical_name)
                found.append((relationship.schema_name, other.table.logical_name, partner))
    if table.is_activity and "activityparty" in layouts:
        found.append((f"{table.logical_name}_activity_parties", "activityparty", None))
    for name, association in sorted(layout.associations.items()):
        if association.target in layouts:
            relationship = association.relationship
            first_side = relationship.entity1 == table.logical_name and name == relationship.navigation1
            found.append(
                (name, association.target, relationship.navigation2 if first_side else relationship.navigation1)
            )
    return found


def _partner(table: Table, column: Column, target: str) -> str | None:
    for relationship in table.relationships:
        if relationship.lookup == column.logical_name and relationship.referenced == target:
            return relationship.schema_name
    return None


def _operations(schema: ET.Element) -> None:
    for name, parameters, returns in FUNCTIONS:
        function = _sub(schema, "Function", Name=name)
        _parameters(function, parameters)
        if returns:
            _sub(function, "ReturnType", Type=returns, Nullable="false")
    for name, parameters, returns in ACTIONS:
        action = _sub(schema, "Action", Name=name, IsBound="true" if name in _BOUND else "false")
        _parameters(action, parameters)
        if returns:
            _sub(action, "ReturnType", Type=returns, Nullable="false")


def _parameters(parent: ET.Element, parameters: Iterable[tuple[str, str]]) -> None:
    for name, kind in parameters:
        _sub(parent, "Parameter", Name=name, Type=kind, Nullable="false")


def _container(ordered: list[Layout], layouts: Mapping[str, Layout]) -> ET.Element:
    container = ET.Element(f"{{{EDM}}}EntityContainer", {"Name": CONTAINER})
    for layout in ordered:
        table = layout.table
        entity_set = _sub(
            container, "EntitySet", Name=table.entity_set_name, EntityType=f"{ALIAS}.{table.logical_name}"
        )
        bindings = [(name, target) for name, target, _ in single_valued(layout, layouts)]
        bindings += [(name, referencing) for name, referencing, _ in collection_valued(layout, layouts)]
        for path, target in bindings:
            _sub(entity_set, "NavigationPropertyBinding", Path=path, Target=layouts[target].table.entity_set_name)
    for name, _, _ in FUNCTIONS:
        _sub(container, "FunctionImport", Name=name, Function=f"{ALIAS}.{name}", IncludeInServiceDocument="false")
    for name, _, _ in ACTIONS:
        if name not in _BOUND:
            _sub(container, "ActionImport", Name=name, Action=f"{ALIAS}.{name}")
    return container
