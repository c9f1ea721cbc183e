"""The system views every custom table of the suite ships with, as real exports carry them (issue 10).

Dataverse gives a table made in the maker portal a set of system views, and an export of
that table carries them; a table imported without them has no grid, no quick find and no
lookup dialog until someone builds them by hand. Each of the suite's own tables therefore
ships, in the shape of a real export (Tactec-Inc/dev-powerapps:``XML_1_1/customizations.xml``,
table ``cr97b_Project``):

| view | ``querytype`` | default | rows |
|---|---|---|---|
| Active <plural> | 0 (public) | yes | state 0 (active, or open for an activity) |
| Inactive <plural> | 0 (public) | no | state 1 |
| Quick Find Active <plural> | 4 (``isquickfindquery`` 1) | yes | state 0, primary name ``like {0}`` |
| <name> Advanced Find View | 1 | yes | all |
| <name> Associated View | 2 | yes | state 0 |
| <name> Lookup View | 64 | yes | state 0 |

Columns are the primary name and *Created On*, ordered by the primary name. Ids are
name-based UUIDs of the table and the view's kind, so an upgrade updates each view in place.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from dataverse_schema.model import ENGLISH, Table
from solution.components import Contribution, SolutionSchema

#: Namespace of the ids of the system views; never change it.
SYSTEM_VIEW_NAMESPACE = uuid.UUID("0f4b8e2a-6c3d-5a71-9e02-4d8b1c7f3a95")
INTRODUCED_VERSION = "1.0.0.0"
PUBLIC, ADVANCED_FIND, ASSOCIATED, QUICK_FIND, LOOKUP = 0, 1, 2, 4, 64


@dataclass(frozen=True)
class SystemView:
    """One kind of system view: its key, name pattern, query type and which rows it lists."""

    key: str
    name: str
    querytype: int
    default: bool
    state: int | None
    quick_find: bool = False

    def title(self, table: Table) -> str:
        return self.name.format(name=table.display_name, plural=table.plural_display_name)

    def id(self, table: Table) -> str:
        return "{" + str(uuid.uuid5(SYSTEM_VIEW_NAMESPACE, f"{table.logical_name}:{self.key}")) + "}"

    def element(self, table: Table) -> ET.Element:
        query = ET.Element("savedquery")
        for tag, text in (
            ("IsCustomizable", "1"),
            ("CanBeDeleted", "0"),
            ("isquickfindquery", str(int(self.quick_find))),
            ("isprivate", "0"),
            ("isdefault", str(int(self.default))),
            ("savedqueryid", self.id(table)),
        ):
            ET.SubElement(query, tag).text = text
        query.append(self.layout(table))
        ET.SubElement(query, "querytype").text = str(self.querytype)
        ET.SubElement(query, "fetchxml").append(self.fetch(table))
        ET.SubElement(query, "IntroducedVersion").text = INTRODUCED_VERSION
        names = ET.SubElement(query, "LocalizedNames")
        ET.SubElement(names, "LocalizedName", {"description": self.title(table), "languagecode": str(ENGLISH)})
        return query

    def layout(self, table: Table) -> ET.Element:
        holder = ET.Element("layoutxml")
        grid = ET.SubElement(
            holder,
            "grid",
            {"name": "resultset", "jump": table.primary_name, "select": "1", "icon": "1", "preview": "1"},
        )
        row = ET.SubElement(grid, "row", {"name": "result", "id": table.primary_id})
        for column, width in ((table.primary_name, 300), ("createdon", 125)):
            ET.SubElement(row, "cell", {"name": column, "width": str(width)})
        return holder

    def fetch(self, table: Table) -> ET.Element:
        fetch = ET.Element("fetch", {"version": "1.0", "mapping": "logical", "output-format": "xml-platform"})
        entity = ET.SubElement(fetch, "entity", {"name": table.logical_name})
        for column in (table.primary_id, table.primary_name, "createdon"):
            ET.SubElement(entity, "attribute", {"name": column})
        ET.SubElement(entity, "order", {"attribute": table.primary_name, "descending": "false"})
        if self.state is not None:
            ET.SubElement(
                ET.SubElement(entity, "filter", {"type": "and"}),
                "condition",
                {"attribute": "statecode", "operator": "eq", "value": str(self.state)},
            )
        if self.quick_find:
            ET.SubElement(
                ET.SubElement(entity, "filter", {"type": "or", "isquickfindfields": "1"}),
                "condition",
                {"attribute": table.primary_name, "operator": "like", "value": "{0}"},
            )
        return fetch


SYSTEM_VIEWS = (
    SystemView("active", "Active {plural}", PUBLIC, True, 0),
    SystemView("inactive", "Inactive {plural}", PUBLIC, False, 1),
    SystemView("quickfind", "Quick Find Active {plural}", QUICK_FIND, True, 0, quick_find=True),
    SystemView("advancedfind", "{name} Advanced Find View", ADVANCED_FIND, True, None),
    SystemView("associated", "{name} Associated View", ASSOCIATED, True, 0),
    SystemView("lookup", "{name} Lookup View", LOOKUP, True, 0),
)


class SystemViews:
    """Component provider: the system views of every custom table (they travel with their table)."""

    name = "system-views"

    def contribute(self, schema: SolutionSchema) -> Contribution:
        parts: dict[str, list[ET.Element]] = {}
        for table in schema.custom_tables:
            holder = ET.Element("SavedQueries")
            ET.SubElement(holder, "savedqueries").extend(view.element(table) for view in SYSTEM_VIEWS)
            parts[table.logical_name] = [holder]
        return Contribution(entity_parts=parts)
