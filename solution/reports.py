"""The views and charts CommSuite ships, and the component provider that adds them (CALL-09, -10, -20, SMS-06).

The definitions live by area: phone calls in :mod:`solution.call_reports`, SMS in
:mod:`solution.sms_reports`, faxes in :mod:`solution.fax_reports`; the View and Chart
elements themselves in :mod:`solution.views`. docs/solution.md shows how to put them on a
dashboard.

Charts over time look back a fixed window (30 days by day, 12 months by month): an
aggregate query may read at most 50,000 rows, and a window keeps a busy organisation's
chart drawable (docs/solution.md, "Known limits").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from solution.call_reports import call_charts, call_views
from solution.components import ComponentType, Contribution, RootComponent, SolutionSchema
from solution.fax_reports import fax_charts, fax_views
from solution.sms_reports import sms_charts, sms_views
from solution.views import Chart, View

#: Columns of standard tables a chart groups on that the suite's schema does not list
#: (it lists only what the suite reads or writes), with where Microsoft defines them.
STANDARD_COLUMNS = {
    (
        "account",
        "accountcategorycode",
    ): "Category, choice 1 Preferred Customer / 2 Standard (Account table reference, Microsoft Learn)",
}


class ViewsAndCharts:
    """Component provider: the call, SMS and fax views and charts, as parts of their tables' ``Entity`` elements."""

    name = "views"

    def __init__(self, views: Sequence[View] | None = None, charts: Sequence[Chart] | None = None) -> None:
        self.views = tuple(call_views() + sms_views() + fax_views() if views is None else views)
        self.charts = tuple(call_charts() + sms_charts() + fax_charts() if charts is None else charts)

    def contribute(self, schema: SolutionSchema) -> Contribution:
        parts: dict[str, list[ET.Element]] = {}
        for table in sorted({v.table for v in self.views} | {c.table for c in self.charts}):
            schema.table(table)
            elements = []
            views = [v.element() for v in self.views if v.table == table]
            if views:
                holder = ET.Element("SavedQueries")
                ET.SubElement(holder, "savedqueries").extend(views)
                elements.append(holder)
            charts = [c.element() for c in self.charts if c.table == table]
            if charts:
                holder = ET.Element("Visualizations")
                holder.extend(charts)
                elements.append(holder)
            parts[table] = elements
        # A shell-only table (phonecall) brings none of its subcomponents, so every view and
        # chart is a root component of its own.
        roots = [RootComponent(ComponentType.SAVED_QUERY, id=v.id) for v in self.views]
        roots += [RootComponent(ComponentType.SAVED_QUERY_VISUALIZATION, id=c.id) for c in self.charts]
        return Contribution(root_components=roots, entity_parts=parts)
