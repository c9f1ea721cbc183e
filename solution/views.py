"""Public views and charts for phone calls and SMS (CALL-09, CALL-10, CALL-20, SMS-06).

A :class:`View` becomes a ``savedquery`` (FetchXML that picks the rows, layout XML that
names the grid's columns); a :class:`Chart` becomes a ``savedqueryvisualization`` whose
``datadescription`` (aggregate FetchXML plus its measures) and ``presentationdescription``
(the chart's look) are stored as escaped XML text, as Dataverse exports write them. Both
go into the table's ``Entity`` element of ``customizations.xml``. Ids are name-based
UUIDs of a stable key, so an upgrade updates each view in place. Names are written in
English and, where given, Persian.

A chart groups by one column (the *category*, optionally by day, month, ... of a date
column), may split every category by a second column of its table (the *series*: one
colour per value, drawn stacked or as 100% shares), and may take its category from a
table reached through a lookup (a ``link-entity``), e.g. the category of the account an
SMS is regarding.

Choice values are looked up by label in ``dataverse_schema`` rather than copied, so a
renumbered choice cannot leave a view filtering on a value that no longer exists.
"""

from __future__ import annotations

import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass

import dataverse_schema as registry
from dataverse_schema.model import ENGLISH, PERSIAN

#: Namespace of the name-based ids of CommSuite's views and charts; never change it.
ID_NAMESPACE = uuid.UUID("8c1f7a52-4b0e-5d3a-9a55-2f6f0c8e4d11")
#: Object type codes of the standard tables that carry views; custom tables get theirs at import.
OBJECT_TYPE_CODES = {"phonecall": 4210, "fax": 4204}
PUBLIC_VIEW = 0
INTRODUCED_VERSION = "1.0.0.0"


#: The look-back of the charts per day and per month.
DAYS_BACK = 30
MONTHS_BACK = 12


def stable_id(kind: str, table: str, key: str) -> str:
    """The never-changing id of one view or chart."""
    return str(uuid.uuid5(ID_NAMESPACE, f"{kind}:{table}:{key}"))


def choice_value(table: str, column: str, label: str) -> int:
    """The option value of ``label`` in ``table.column``; KeyError names what is missing."""
    options = registry.table(table).column(column).options
    for option in options.options if options else ():
        if option.label == label:
            return option.value
    raise KeyError(f"{table}.{column} has no choice labelled {label!r}")


@dataclass(frozen=True)
class Condition:
    """One FetchXML condition: ``column operator value`` (``value`` None for ``null`` tests); an ``in``
    condition takes its ``values`` as ``<value>`` children."""

    column: str
    operator: str
    value: str | None = None
    values: tuple[str, ...] = ()

    def element(self) -> ET.Element:
        attributes = {"attribute": self.column, "operator": self.operator}
        if self.value is not None:
            attributes["value"] = self.value
        condition = ET.Element("condition", attributes)
        for value in self.values:
            ET.SubElement(condition, "value").text = value
        return condition


def last_days(column: str, days: int = DAYS_BACK) -> Condition:
    """``column`` falls in the last ``days`` days (a chart's look-back)."""
    return Condition(column, "last-x-days", str(days))


def last_months(column: str, months: int = MONTHS_BACK) -> Condition:
    """``column`` falls in the last ``months`` months (a chart's look-back)."""
    return Condition(column, "last-x-months", str(months))


@dataclass(frozen=True)
class View:
    """A public view: which rows (``conditions``), which columns and widths, in which order."""

    key: str
    table: str
    name: str
    description: str
    columns: tuple[tuple[str, int], ...]
    conditions: tuple[Condition, ...] = ()
    order: tuple[str, bool] = ("createdon", True)
    persian_name: str | None = None

    @property
    def id(self) -> str:
        return stable_id("view", self.table, self.key)

    def element(self) -> ET.Element:
        table = registry.table(self.table)
        query = ET.Element("savedquery")
        _text(query, "IsCustomizable", "1")
        _text(query, "CanBeDeleted", "1")
        _text(query, "isquickfindquery", "0")
        _text(query, "isprivate", "0")
        _text(query, "isdefault", "0")
        _text(query, "savedqueryid", "{" + self.id + "}")
        query.append(self.layout(table.primary_id, table.primary_name))
        _text(query, "querytype", str(PUBLIC_VIEW))
        fetch_holder = ET.SubElement(query, "fetchxml")
        fetch_holder.append(self.fetch(table.primary_id))
        _text(query, "IntroducedVersion", INTRODUCED_VERSION)
        if self.table in OBJECT_TYPE_CODES:
            _text(query, "returnedtypecode", str(OBJECT_TYPE_CODES[self.table]))
        _localised(query, "LocalizedNames", "LocalizedName", self.name, self.persian_name)
        _localised(query, "Descriptions", "Description", self.description)
        return query

    def layout(self, primary_id: str, primary_name: str) -> ET.Element:
        grid_attributes = {"name": "resultset", "jump": primary_name, "select": "1", "icon": "1", "preview": "1"}
        if self.table in OBJECT_TYPE_CODES:
            grid_attributes["object"] = str(OBJECT_TYPE_CODES[self.table])
        holder = ET.Element("layoutxml")
        grid = ET.SubElement(holder, "grid", grid_attributes)
        row = ET.SubElement(grid, "row", {"name": "result", "id": primary_id})
        for column, width in self.columns:
            ET.SubElement(row, "cell", {"name": column, "width": str(width)})
        return holder

    def fetch(self, primary_id: str) -> ET.Element:
        fetch = ET.Element("fetch", {"version": "1.0", "mapping": "logical", "output-format": "xml-platform"})
        entity = ET.SubElement(fetch, "entity", {"name": self.table})
        for column in dict.fromkeys([primary_id, *(c for c, _ in self.columns)]):
            ET.SubElement(entity, "attribute", {"name": column})
        column, descending = self.order
        ET.SubElement(entity, "order", {"attribute": column, "descending": "true" if descending else "false"})
        if self.conditions:
            conditions = ET.SubElement(entity, "filter", {"type": "and"})
            conditions.extend(c.element() for c in self.conditions)
        return fetch


@dataclass(frozen=True)
class Link:
    """An inner join from the chart's table to ``table``: ``table.from_column = <chart table>.to_column``.

    ``to_column`` may be a polymorphic lookup (``regardingobjectid``); the join then keeps
    only the rows whose lookup points at ``table``.
    """

    table: str
    from_column: str
    to_column: str
    alias: str

    def element(self) -> ET.Element:
        return ET.Element(
            "link-entity",
            {
                "name": self.table,
                "from": self.from_column,
                "to": self.to_column,
                "link-type": "inner",
                "alias": self.alias,
            },
        )


@dataclass(frozen=True)
class Chart:
    """A system chart: ``aggregate`` of ``measure`` grouped by ``group_by`` over the rows ``conditions`` pick.

    ``date_grouping`` (day, week, month, ...) groups a date column, in time order;
    ``chart_type`` is a Microsoft chart control type (Column, Bar, Pie, Line, and for a
    chart with a ``series`` StackedColumn, StackedBar, StackedColumn100, StackedBar100).
    ``series`` is a second group-by column of the chart's table: each category is split
    into one part per value (a comparison chart; the legend names the values). ``link``
    takes ``group_by`` from the linked table instead of the chart's own.
    """

    key: str
    table: str
    name: str
    description: str
    measure: str
    aggregate: str
    group_by: str
    chart_type: str = "Column"
    conditions: tuple[Condition, ...] = ()
    date_grouping: str | None = None
    series: str | None = None
    link: Link | None = None
    persian_name: str | None = None

    @property
    def id(self) -> str:
        return stable_id("chart", self.table, self.key)

    @property
    def category_table(self) -> str:
        """The table whose column ``group_by`` is."""
        return self.link.table if self.link else self.table

    def element(self) -> ET.Element:
        chart = ET.Element("visualization")
        _text(chart, "savedqueryvisualizationid", "{" + self.id + "}")
        _text(chart, "datadescription", _xml_text(self.data_description()))
        _text(chart, "presentationdescription", _xml_text(self.presentation_description()))
        _text(chart, "isdefault", "0")
        _text(chart, "IsCustomizable", "1")
        _text(chart, "IntroducedVersion", INTRODUCED_VERSION)
        _text(chart, "CanBeDeleted", "1")
        _localised(chart, "LocalizedNames", "LocalizedName", self.name, self.persian_name)
        _localised(chart, "Descriptions", "Description", self.description)
        return chart

    def data_description(self) -> ET.Element:
        definition = ET.Element("datadefinition")
        fetch = ET.SubElement(
            ET.SubElement(definition, "fetchcollection"), "fetch", {"mapping": "logical", "aggregate": "true"}
        )
        entity = ET.SubElement(fetch, "entity", {"name": self.table})
        ET.SubElement(entity, "attribute", {"name": self.measure, "aggregate": self.aggregate, "alias": "measure"})
        group = {"name": self.group_by, "groupby": "true", "alias": "category"}
        if self.date_grouping:
            group["dategrouping"] = self.date_grouping
        if self.link:
            linked = self.link.element()
            ET.SubElement(linked, "attribute", group)
            entity.append(linked)
        else:
            ET.SubElement(entity, "attribute", group)
        if self.series:
            ET.SubElement(entity, "attribute", {"name": self.series, "groupby": "true", "alias": "series"})
        if self.date_grouping:
            # Grouped rows come in no promised order; a time axis must run oldest to newest.
            ET.SubElement(entity, "order", {"alias": "category", "descending": "false"})
        if self.conditions:
            conditions = ET.SubElement(entity, "filter", {"type": "and"})
            conditions.extend(c.element() for c in self.conditions)
        category = ET.SubElement(ET.SubElement(definition, "categorycollection"), "category", {"alias": "category"})
        ET.SubElement(ET.SubElement(category, "measurecollection"), "measure", {"alias": "measure"})
        return definition

    def presentation_description(self) -> ET.Element:
        chart = ET.Element(
            "Chart",
            {
                "Palette": "None",
                "PaletteCustomColors": "55,118,193; 197,56,52; 149,189,66; 117,82,160; 49,171,204; 255,136,35",
            },
        )
        series = ET.SubElement(
            ET.SubElement(chart, "Series"),
            "Series",
            {
                "ChartType": self.chart_type,
                "IsValueShownAsLabel": "True",
                "Font": "{0}, 9.5px",
                "LabelForeColor": "59, 59, 59",
            },
        )
        ET.SubElement(series, "SmartLabelStyle", {"Enabled": "True"})
        area = ET.SubElement(
            ET.SubElement(chart, "ChartAreas"), "ChartArea", {"BorderColor": "White", "BorderDashStyle": "Solid"}
        )
        ET.SubElement(area, "AxisY", {"LabelAutoFitMinFontSize": "8", "TitleForeColor": "59, 59, 59"})
        ET.SubElement(area, "AxisX", {"LabelAutoFitMinFontSize": "8", "TitleForeColor": "59, 59, 59"})
        ET.SubElement(
            ET.SubElement(chart, "Titles"),
            "Title",
            {"Alignment": "TopLeft", "DockingOffset": "-3", "Font": "{0}, 13px", "ForeColor": "59, 59, 59"},
        )
        if self.series:
            ET.SubElement(
                ET.SubElement(chart, "Legends"),
                "Legend",
                {
                    "Alignment": "Center",
                    "LegendStyle": "Table",
                    "Docking": "Bottom",
                    "IsEquallySpacedItems": "True",
                    "Font": "{0}, 11px",
                    "ShadowColor": "0, 0, 0, 0",
                    "ForeColor": "59, 59, 59",
                },
            )
        return chart


def _xml_text(element: ET.Element) -> str:
    return ET.tostring(element, encoding="unicode")


def _text(parent: ET.Element, tag: str, text: str) -> None:
    ET.SubElement(parent, tag).text = text


def _localised(parent: ET.Element, container: str, item: str, text: str, persian: str | None = None) -> None:
    holder = ET.SubElement(parent, container)
    ET.SubElement(holder, item, {"description": text, "languagecode": str(ENGLISH)})
    if persian:
        ET.SubElement(holder, item, {"description": persian, "languagecode": str(PERSIAN)})
