"""Each chart's aggregate FetchXML, row by row: measure, category, date grouping, series, join, filters (SMS-06,
CALL-10).

The expected rows are written out by hand, so a change to a builder or a chart shows up
as a changed row here. Every fetch is also validated against the official Fetch.xsd (the
data-description schema leaves the fetch unchecked), and the package carries both names.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import NamedTuple

import pytest
import xmlschema

from dataverse_schema.model import ENGLISH, PERSIAN
from solution.call_reports import call_charts, call_views
from solution.sms_reports import sms_charts, sms_views
from solution.views import Chart, Condition, choice_value
from tests.xsd import xsd_path

OUT = str(choice_value("comms_sms", "comms_direction", "Outgoing"))
FAILED = str(choice_value("comms_sms", "comms_smsstatus", "Failed"))
OUTGOING = ("comms_direction", "eq", OUT)
INBOUND = ("directioncode", "eq", "0")
LOGGED = ("comms_pbxcallid", "not-null", None)
STACKED = {"StackedColumn", "StackedBar", "StackedColumn100", "StackedBar100"}


class Fetch(NamedTuple):
    measure: tuple[str, str]
    category: tuple[str, str | None]
    series: str | None = None
    link: tuple[str, str, str] | None = None
    conditions: frozenset[tuple[str, str, str | None]] = frozenset()


def f(measure, category, series=None, link=None, *conditions) -> Fetch:
    return Fetch(measure, category, series, link, frozenset(conditions))


COUNT = ("activityid", "count")
EXPECTED = {
    ("phonecall", "by_direction"): f(COUNT, ("directioncode", None), None, None, LOGGED),
    ("phonecall", "answered_ratio"): f(COUNT, ("comms_answered", None), None, None, INBOUND, LOGGED),
    ("phonecall", "average_talk"): f(
        ("comms_talkseconds", "avg"), ("ownerid", None), None, None, ("comms_answered", "eq", "1")
    ),
    ("phonecall", "average_hold"): f(
        ("comms_holdseconds", "avg"), ("ownerid", None), None, None, ("comms_answered", "eq", "1")
    ),
    ("phonecall", "per_user"): f(COUNT, ("ownerid", None), None, None, LOGGED),
    ("phonecall", "missed_per_day"): f(COUNT, ("createdon", "day"), None, None, INBOUND, ("comms_answered", "eq", "0")),
    ("phonecall", "answered_per_day"): f(
        COUNT, ("createdon", "day"), "comms_answered", None, INBOUND, LOGGED, ("createdon", "last-x-days", "30")
    ),
    ("phonecall", "average_talk_per_day"): f(
        ("comms_talkseconds", "avg"),
        ("createdon", "day"),
        None,
        None,
        ("comms_answered", "eq", "1"),
        ("createdon", "last-x-days", "30"),
    ),
    ("phonecall", "per_month_by_direction"): f(
        COUNT, ("createdon", "month"), "directioncode", None, LOGGED, ("createdon", "last-x-months", "12")
    ),
    ("comms_sms", "outgoing_by_status"): f(COUNT, ("comms_smsstatus", None), None, None, OUTGOING),
    ("comms_sms", "per_user"): f(COUNT, ("ownerid", None)),
    ("comms_sms", "per_day_by_status"): f(
        COUNT, ("createdon", "day"), "comms_smsstatus", None, OUTGOING, ("createdon", "last-x-days", "30")
    ),
    ("comms_sms", "per_month_by_status"): f(
        COUNT, ("createdon", "month"), "comms_smsstatus", None, OUTGOING, ("createdon", "last-x-months", "12")
    ),
    ("comms_sms", "delivery_rate_per_day"): f(
        COUNT, ("comms_senton", "day"), "comms_smsstatus", None, OUTGOING, ("comms_senton", "last-x-days", "30")
    ),
    ("comms_sms", "delivery_rate_per_provider"): f(
        COUNT, ("comms_smsproviderid", None), "comms_smsstatus", None, OUTGOING, ("comms_senton", "last-x-days", "30")
    ),
    ("comms_sms", "per_bulk_by_status"): f(
        COUNT, ("comms_smsbulkid", None), "comms_smsstatus", None, OUTGOING, ("comms_smsbulkid", "not-null", None)
    ),
    ("comms_sms", "per_customer_category"): f(
        COUNT, ("accountcategorycode", None), "comms_smsstatus", ("account", "accountid", "regardingobjectid"), OUTGOING
    ),
}
CHARTS = {(c.table, c.key): c for c in call_charts() + sms_charts()}


def read(chart: Chart) -> Fetch:
    """What the chart's stored FetchXML asks for, read back from the XML text."""
    definition = ET.fromstring(chart.element().findtext("datadescription"))
    entity = definition.find("./fetchcollection/fetch/entity")
    measure = entity.find("./attribute[@alias='measure']")
    category = definition.find(".//attribute[@alias='category']")
    series = entity.find("./attribute[@alias='series']")
    link = entity.find("./link-entity")
    assert category.get("groupby") == "true" and (series is None or series.get("groupby") == "true")
    return Fetch(
        (measure.get("name"), measure.get("aggregate")),
        (category.get("name"), category.get("dategrouping")),
        None if series is None else series.get("name"),
        None if link is None else (link.get("name"), link.get("from"), link.get("to")),
        frozenset((c.get("attribute"), c.get("operator"), c.get("value")) for c in entity.iter("condition")),
    )


def test_the_table_lists_every_chart_once() -> None:
    assert set(EXPECTED) == set(CHARTS)


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=lambda k: ":".join(k))
def test_each_charts_fetch_groups_aggregates_and_filters_as_listed(key) -> None:
    assert read(CHARTS[key]) == EXPECTED[key]


@pytest.fixture(scope="module")
def fetch_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(xsd_path("Fetch.xsd")))


@pytest.mark.parametrize("chart", list(CHARTS.values()), ids=lambda c: f"{c.table}:{c.key}")
def test_each_charts_fetch_is_valid_fetchxml(chart: Chart, fetch_schema) -> None:
    fetch = chart.data_description().find("./fetchcollection/fetch")
    fetch_schema.validate(ET.tostring(fetch, encoding="unicode"))


def test_the_fetch_schema_refuses_an_unknown_date_grouping(fetch_schema) -> None:
    chart = Chart("x", "comms_sms", "X", "X", "activityid", "count", "createdon", date_grouping="hour")
    with pytest.raises(xmlschema.XMLSchemaValidationError, match="hour"):
        fetch_schema.validate(ET.tostring(chart.data_description().find(".//fetch"), encoding="unicode"))


@pytest.mark.parametrize("chart", [c for c in CHARTS.values() if c.date_grouping], ids=lambda c: c.key)
def test_charts_over_time_run_oldest_to_newest(chart: Chart) -> None:
    orders = chart.data_description().findall(".//entity/order")
    assert [(o.get("alias"), o.get("descending")) for o in orders] == [("category", "false")]


@pytest.mark.parametrize("chart", list(CHARTS.values()), ids=lambda c: f"{c.table}:{c.key}")
def test_a_split_chart_is_stacked_and_has_a_legend(chart: Chart) -> None:
    presentation = chart.presentation_description()
    chart_type = presentation.find("./Series/Series").get("ChartType")
    assert (chart.series is not None) == (chart_type in STACKED) == (presentation.find("./Legends") is not None)
    # One group-by per axis, one measure: Dataverse draws one series per value of the second group-by.
    definition = chart.data_description()
    assert len(definition.findall("./categorycollection/category/measurecollection")) == 1
    assert len([a for a in definition.iter("attribute") if a.get("groupby")]) == (2 if chart.series else 1)


def test_the_category_of_a_joined_chart_sits_inside_the_join() -> None:
    chart = CHARTS[("comms_sms", "per_customer_category")]
    entity = chart.data_description().find(".//entity")
    link = entity.find("./link-entity")
    assert link.get("link-type") == "inner" and link.get("alias") == "customer"
    assert [a.get("name") for a in link.findall("./attribute")] == ["accountcategorycode"]
    assert entity.find("./attribute[@alias='category']") is None


def test_failed_in_the_last_seven_days_is_failed_outgoing_by_failed_on() -> None:
    view = next(v for v in sms_views() if v.key == "failed_last_7_days")
    assert set(view.conditions) == {
        Condition(*OUTGOING),
        Condition("comms_smsstatus", "eq", FAILED),
        Condition("comms_failedon", "last-seven-days"),
    }
    assert view.order == ("comms_failedon", True)


@pytest.mark.parametrize(
    "element",
    [v.element() for v in call_views() + sms_views()] + [c.element() for c in CHARTS.values()],
    ids=lambda e: e.tag,
)
def test_every_view_and_chart_is_named_in_english_and_persian(element: ET.Element) -> None:
    names = {n.get("languagecode"): n.get("description") for n in element.findall("./LocalizedNames/LocalizedName")}
    assert set(names) == {str(ENGLISH), str(PERSIAN)}
    assert names[str(PERSIAN)].startswith("CommSuite: ") and names[str(PERSIAN)] != names[str(ENGLISH)]


def test_the_package_carries_the_new_charts_and_views_and_validates(unmanaged, customization_schema, tmp_path):
    path = tmp_path / "customizations.xml"
    path.write_bytes(unmanaged.files["customizations.xml"])
    customization_schema.validate(str(path))
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    ids = {e.text.strip("{}") for e in root.iter("savedqueryvisualizationid")}
    assert {c.id for c in CHARTS.values()} <= ids
    assert {v.id for v in sms_views()} <= {e.text.strip("{}") for e in root.iter("savedqueryid")}
