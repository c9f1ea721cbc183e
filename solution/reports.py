"""The views and charts CommSuite ships, and the component provider that adds them (CALL-09, -10, -20, SMS-06).

Phone calls: every logged call, missed inbound calls, and charts of calls by direction,
answered against unanswered, average talk time per user and calls per user. SMS:
outgoing messages by status, failed messages and incoming messages, with a chart of
outgoing messages by status. docs/solution.md shows how to put them on a dashboard.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from solution.components import ComponentType, Contribution, RootComponent, SolutionSchema
from solution.views import Chart, Condition, View, choice_value

_CALL_COLUMNS = (
    ("subject", 250), ("phonenumber", 120), ("directioncode", 90), ("comms_answered", 80),
    ("comms_talkseconds", 90), ("ownerid", 130), ("regardingobjectid", 160), ("createdon", 130),
)
_INBOUND = Condition("directioncode", "eq", "0")
_UNANSWERED = Condition("comms_answered", "eq", "0")


def _sms_choice(column: str, label: str) -> str:
    return str(choice_value("comms_sms", column, label))


def call_views() -> tuple[View, ...]:
    return (
        View("all", "phonecall", "CommSuite: All Logged Calls",
             "Every call the suite logged, newest first, with direction, answer and talk time (CALL-09).",
             _CALL_COLUMNS, (Condition("comms_pbxcallid", "not-null"),)),
        View("missed", "phonecall", "CommSuite: Missed Calls",
             "Inbound calls nobody answered, newest first, to call back (CALL-08, CALL-10).",
             (("phonenumber", 130), ("regardingobjectid", 180), ("comms_ringseconds", 90),
              ("comms_extensionnumber", 90), ("ownerid", 130), ("createdon", 140)),
             (_INBOUND, _UNANSWERED)),
        View("by_direction", "phonecall", "CommSuite: Calls by Direction",
             "Logged calls sorted by direction, then newest first (CALL-10).",
             _CALL_COLUMNS, (Condition("comms_pbxcallid", "not-null"),), order=("directioncode", False)),
    )


def call_charts() -> tuple[Chart, ...]:
    logged = (Condition("comms_pbxcallid", "not-null"),)
    return (
        Chart("by_direction", "phonecall", "CommSuite: Calls by Direction",
              "Number of logged calls, inbound against outbound (CALL-10).",
              "activityid", "count", "directioncode", "Pie", logged),
        Chart("answered_ratio", "phonecall", "CommSuite: Answered and Unanswered Calls",
              "Inbound calls answered against unanswered: the answered ratio (CALL-10).",
              "activityid", "count", "comms_answered", "Pie", (_INBOUND, *logged)),
        Chart("average_talk", "phonecall", "CommSuite: Average Talk Time per User",
              "Average seconds from answer to hang-up, per call owner (CALL-10).",
              "comms_talkseconds", "avg", "ownerid", "Bar", (Condition("comms_answered", "eq", "1"),)),
        Chart("per_user", "phonecall", "CommSuite: Calls per User",
              "Number of logged calls per call owner (CALL-10, CALL-20).",
              "activityid", "count", "ownerid", "Bar", logged),
        Chart("missed_per_day", "phonecall", "CommSuite: Missed Calls per Day",
              "Unanswered inbound calls per day (CALL-08, CALL-10).",
              "activityid", "count", "createdon", "Column", (_INBOUND, _UNANSWERED), date_grouping="day"),
    )


def sms_views() -> tuple[View, ...]:
    outgoing = Condition("comms_direction", "eq", _sms_choice("comms_direction", "Outgoing"))
    incoming = Condition("comms_direction", "eq", _sms_choice("comms_direction", "Incoming"))
    failed = Condition("comms_smsstatus", "eq", _sms_choice("comms_smsstatus", "Failed"))
    return (
        View("outgoing", "comms_sms", "CommSuite: Outgoing SMS by Status",
             "Messages sent or waiting to be sent, grouped by where they stand (SMS-06, SMS-20).",
             (("subject", 200), ("comms_phonenumber", 130), ("comms_smsstatus", 130), ("comms_senton", 130),
              ("comms_deliveredon", 130), ("ownerid", 130)),
             (outgoing,), order=("comms_smsstatus", False)),
        View("failed", "comms_sms", "CommSuite: Failed SMS",
             "Outgoing messages that failed after every attempt, with the reason (SMS-06, SMS-22).",
             (("subject", 200), ("comms_phonenumber", 130), ("comms_error", 250), ("comms_attempts", 80),
              ("ownerid", 130), ("createdon", 130)),
             (outgoing, failed)),
        View("incoming", "comms_sms", "CommSuite: Incoming SMS",
             "Messages received, newest first (SMS-02).",
             (("comms_phonenumber", 130), ("comms_message", 300), ("comms_sendernumber", 120),
              ("regardingobjectid", 160), ("comms_receivedon", 130)),
             (incoming,), order=("comms_receivedon", True)),
    )


def sms_charts() -> tuple[Chart, ...]:
    outgoing = Condition("comms_direction", "eq", _sms_choice("comms_direction", "Outgoing"))
    return (
        Chart("outgoing_by_status", "comms_sms", "CommSuite: Outgoing SMS by Status",
              "Outgoing messages per status: pending, sent, delivered, failed (SMS-06).",
              "activityid", "count", "comms_smsstatus", "Column", (outgoing,)),
        Chart("per_user", "comms_sms", "CommSuite: SMS per User",
              "Messages per owner (SMS-06).", "activityid", "count", "ownerid", "Bar"),
    )


class ViewsAndCharts:
    """Component provider: the views and charts above, as parts of their tables' ``Entity`` elements."""

    name = "views"

    def __init__(self, views: Sequence[View] | None = None, charts: Sequence[Chart] | None = None) -> None:
        self.views = tuple(call_views() + sms_views() if views is None else views)
        self.charts = tuple(call_charts() + sms_charts() if charts is None else charts)

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
