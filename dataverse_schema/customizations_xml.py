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
gives the same bytes. Each kind of element is written by its own module of
:mod:`dataverse_schema.customizations`; this one assembles the document.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping, Sequence

from dataverse_schema.customizations.elements import Context, by_logical_name, text
from dataverse_schema.customizations.entities import entity
from dataverse_schema.customizations.option_sets import global_option_set
from dataverse_schema.customizations.relationships import relationship
from dataverse_schema.model import ENGLISH, PERSIAN, ColumnType, OptionSet, Relationship, Table

#: The children of ``ImportExportXml`` in the order the XSD's ``xs:sequence`` fixes.
SECTION_ORDER = (
    "Entities",
    "Roles",
    "Workflows",
    "FieldSecurityProfiles",
    "Templates",
    "RibbonDiffXml",
    "IsvConfig",
    "RelationshipRoles",
    "ConnectionRoles",
    "SiteMap",
    "EntityMaps",
    "EntityRelationships",
    "OrganizationSettings",
    "optionsets",
    "Reports",
    "RoutingRules",
    "ChannelPropertyGroups",
    "ConvertRules",
    "MobileOfflineProfiles",
    "Slas",
    "ChannelAccessProfiles",
    "ChannelAccessProfileRules",
    "Dashboards",
    "InteractionCentricDashboards",
    "Dialogs",
    "WebResources",
    "CustomControls",
    "SolutionPluginAssemblies",
    "SdkMessageProcessingSteps",
    "ServiceEndpoints",
    "AppModuleSiteMaps",
    "AppModules",
    "EntityDataProviders",
    "EntityDataSources",
    "Languages",
    "GlobalSearchConfigurations",
    "StoredProcedures",
)
#: Sections a real export always writes, even when empty.
ALWAYS_WRITTEN = frozenset(
    {
        "Entities",
        "Roles",
        "Workflows",
        "FieldSecurityProfiles",
        "Templates",
        "EntityMaps",
        "EntityRelationships",
        "OrganizationSettings",
        "optionsets",
        "CustomControls",
        "EntityDataProviders",
        "Languages",
    }
)
#: Sections this module writes from the schema itself.
_GENERATED_SECTIONS = frozenset({"Entities", "EntityRelationships", "optionsets", "Languages"})
INTRODUCED_VERSION = "1.0.0.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"


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
    ctx = Context(tables, reference_tables, introduced_version, frozenset(secured_columns))
    generated = {
        "Entities": [entity(ctx, t, parts.get(t.logical_name, ())) for t in sorted(tables, key=by_logical_name)],
        "EntityRelationships": [relationship(ctx, r) for r in sorted(relationships, key=lambda r: r.schema_name)],
        "optionsets": [global_option_set(ctx, o, tables) for o in sorted(option_sets, key=lambda o: o.name or "")],
        "Languages": [text("Language", str(code)) for code in languages(tables, option_sets)],
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


def _has_persian_options(options: OptionSet | None) -> bool:
    return options is not None and any(o.label_fa for o in options.options)


def _has_persian_table(table: Table) -> bool:
    columns = table.columns if table.is_custom else table.custom_columns
    return bool(table.is_custom and table.display_name_fa) or any(
        c.display_name_fa or _has_persian_options(c.options) for c in columns
    )
