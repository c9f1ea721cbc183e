"""Views and charts: XSD-valid, on real columns and choices, with stable ids (CALL-10, CALL-20, SMS-06)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
import xmlschema

import dataverse_schema as registry
from solution.call_reports import call_charts, call_views
from solution.reports import STANDARD_COLUMNS, ViewsAndCharts
from solution.sms_reports import sms_charts, sms_views
from solution.system_views import SYSTEM_VIEWS
from solution.views import Chart, Condition, View, choice_value, stable_id
from tests.xsd import xsd_path

ALL_VIEWS = call_views() + sms_views()
ALL_CHARTS = call_charts() + sms_charts()


def entity(package, schema_name: str) -> ET.Element:
    root = ET.fromstring(package.files["customizations.xml"])
    for candidate in root.findall("./Entities/Entity"):
        if candidate.findtext("Name") == schema_name:
            return candidate
    raise AssertionError(f"no entity {schema_name}")


@pytest.mark.parametrize("view", ALL_VIEWS, ids=lambda v: f"{v.table}:{v.key}")
def test_every_view_names_real_columns(view: View) -> None:
    table = registry.table(view.table)
    named = [c for c, _ in view.columns] + [c.column for c in view.conditions] + [view.order[0]]
    assert [c for c in named if not table.has_column(c)] == []


def _known(table: str, column: str) -> bool:
    """In the suite's schema, or a documented standard column it does not list (reports.STANDARD_COLUMNS)."""
    return registry.table(table).has_column(column) or (table, column) in STANDARD_COLUMNS


@pytest.mark.parametrize("chart", ALL_CHARTS, ids=lambda c: f"{c.table}:{c.key}")
def test_every_chart_names_real_columns_and_validates_as_a_data_description(chart: Chart) -> None:
    table = registry.table(chart.table)
    assert table.has_column(chart.measure) and _known(chart.category_table, chart.group_by)
    assert chart.series is None or table.has_column(chart.series)
    assert chart.link is None or (
        table.has_column(chart.link.to_column) and _known(chart.link.table, chart.link.from_column)
    )
    assert all(table.has_column(c.column) for c in chart.conditions)
    description = xmlschema.XMLSchema(str(xsd_path("VisualizationDataDescription.xsd")))
    description.validate(ET.tostring(chart.data_description(), encoding="unicode"))


def test_views_and_charts_land_in_their_tables_and_validate(unmanaged) -> None:
    calls = entity(unmanaged, "PhoneCall")
    names = {q.find("./LocalizedNames/LocalizedName").get("description") for q in calls.iter("savedquery")}
    assert {"CommSuite: Missed Calls", "CommSuite: All Logged Calls", "CommSuite: Calls by Direction"} <= names
    assert len(calls.findall("./Visualizations/visualization")) == len(call_charts())
    sms_queries = entity(unmanaged, "comms_Sms").findall("./SavedQueries/savedqueries/savedquery")
    assert len(sms_queries) == len(sms_views()) + len(SYSTEM_VIEWS)
    assert {v.id for v in sms_views()} <= {q.findtext("savedqueryid").strip("{}") for q in sms_queries}


def test_missed_calls_are_unanswered_inbound_calls() -> None:
    (missed,) = [v for v in call_views() if v.key == "missed"]
    fetch = missed.fetch("activityid")
    conditions = {(c.get("attribute"), c.get("operator"), c.get("value")) for c in fetch.iter("condition")}
    assert conditions == {("directioncode", "eq", "0"), ("comms_answered", "eq", "0")}
    assert fetch.find("./entity/attribute[@name='activityid']") is not None


def test_sms_views_filter_on_the_schemas_choice_values() -> None:
    failed = next(v for v in sms_views() if v.key == "failed")
    values = {c.column: c.value for c in failed.conditions}
    assert values == {
        "comms_direction": str(choice_value("comms_sms", "comms_direction", "Outgoing")),
        "comms_smsstatus": str(choice_value("comms_sms", "comms_smsstatus", "Failed")),
    }


def test_an_unknown_choice_label_is_named() -> None:
    with pytest.raises(KeyError, match="Bounced"):
        choice_value("comms_sms", "comms_smsstatus", "Bounced")


def test_chart_descriptions_are_stored_as_escaped_xml_text() -> None:
    chart = call_charts()[0].element()
    text = chart.findtext("datadescription")
    assert ET.fromstring(text).tag == "datadefinition"
    assert ET.fromstring(chart.findtext("presentationdescription")).tag == "Chart"
    assert ET.fromstring(text).find(".//attribute[@aggregate='count']") is not None


def test_ids_are_stable_and_distinct() -> None:
    assert stable_id("view", "phonecall", "missed") == stable_id("view", "phonecall", "missed")
    ids = [v.id for v in ALL_VIEWS] + [c.id for c in ALL_CHARTS]
    assert len(ids) == len(set(ids))
    assert call_views()[1].id == "{}".format(stable_id("view", "phonecall", "missed"))


def test_a_view_on_a_table_outside_the_solution_is_refused(schema) -> None:
    stray = View("x", "comms_nothing", "X", "X", (("comms_name", 100),), (Condition("comms_name", "null"),))
    with pytest.raises(KeyError, match="comms_nothing"):
        ViewsAndCharts(views=[stray], charts=[]).contribute(schema)
