"""The fax views and charts are in the solution with the fax's type code and real choice values (FAX-15)."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from solution.fax_reports import FAILED_LABELS, fax_charts, fax_status, fax_views
from solution.reports import ViewsAndCharts


def test_views_and_charts_ship_with_the_others() -> None:
    provider = ViewsAndCharts()
    assert {v.id for v in fax_views()} <= {v.id for v in provider.views}
    assert {c.id for c in fax_charts()} <= {c.id for c in provider.charts}


def test_fax_views_carry_the_fax_type_code(unmanaged) -> None:
    root = ET.fromstring(unmanaged.files["customizations.xml"])
    fax = next(e for e in root.iter("Entity") if e.findtext("Name") == "Fax")
    ours = {"{" + v.id + "}" for v in fax_views()}
    queries = [q for q in fax.iter("savedquery") if q.findtext("savedqueryid") in ours]
    assert len(queries) == len(ours)
    assert {q.findtext("returnedtypecode") for q in queries} == {"4204"}
    assert {q.find("layoutxml/grid").get("object") for q in queries} == {"4204"}


def test_failed_means_every_end_a_fax_does_not_come_back_from() -> None:
    view = next(v for v in fax_views() if v.key == "failed_last_7_days")
    condition = view.fetch("activityid").find(".//condition[@attribute='comms_faxstatus']")
    assert condition.get("operator") == "in" and condition.get("value") is None
    assert [v.text for v in condition.findall("value")] == [fax_status(label) for label in FAILED_LABELS]


def test_the_charts_cover_status_user_customer_and_time() -> None:
    groups = {(c.group_by, c.date_grouping) for c in fax_charts()}
    assert groups == {
        ("comms_faxstatus", None),
        ("ownerid", None),
        ("regardingobjectid", None),
        ("createdon", "day"),
        ("createdon", "month"),
    }
