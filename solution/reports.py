"""The views and charts CommSuite ships, and the component provider that adds them (CALL-09, -10, -20, SMS-06).

Phone calls: every logged call, missed inbound calls, and charts of calls by direction,
answered against unanswered, average talk time, average hold time and calls per user, and over time (missed,
answered / unanswered and average talk time per day, calls per month by direction). SMS:
outgoing messages by status, failed messages (all and the last seven days), incoming
messages and messages by bulk send; charts of outgoing messages by status, per user, per
day and per month by status, the delivery rate per day and per provider account, per
bulk send and per customer category. docs/solution.md shows how to put them on a dashboard.

Charts over time look back a fixed window (30 days by day, 12 months by month): an
aggregate query may read at most 50,000 rows, and a window keeps a busy organisation's
chart drawable (docs/solution.md, "Known limits").
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence

from solution.components import ComponentType, Contribution, RootComponent, SolutionSchema
from solution.fax_reports import fax_charts, fax_views
from solution.views import Chart, Condition, Link, View, choice_value

_CALL_COLUMNS = (
    ("subject", 250),
    ("phonenumber", 120),
    ("directioncode", 90),
    ("comms_answered", 80),
    ("comms_talkseconds", 90),
    ("ownerid", 130),
    ("regardingobjectid", 160),
    ("createdon", 130),
)
_INBOUND = Condition("directioncode", "eq", "0")
_UNANSWERED = Condition("comms_answered", "eq", "0")
_ANSWERED = Condition("comms_answered", "eq", "1")
_LOGGED = Condition("comms_pbxcallid", "not-null")
#: The look-back of the charts per day and per month.
DAYS_BACK = 30
MONTHS_BACK = 12

#: Columns of standard tables a chart groups on that the suite's schema does not list
#: (it lists only what the suite reads or writes), with where Microsoft defines them.
STANDARD_COLUMNS = {
    (
        "account",
        "accountcategorycode",
    ): "Category, choice 1 Preferred Customer / 2 Standard (Account table reference, Microsoft Learn)",
}
#: The account an SMS is regarding. An SMS regarding a contact, lead or case is not joined.
REGARDING_ACCOUNT = Link("account", "accountid", "regardingobjectid", "customer")


def _sms_choice(column: str, label: str) -> str:
    return str(choice_value("comms_sms", column, label))


def _last_days(column: str, days: int = DAYS_BACK) -> Condition:
    return Condition(column, "last-x-days", str(days))


def _last_months(column: str, months: int = MONTHS_BACK) -> Condition:
    return Condition(column, "last-x-months", str(months))


def call_views() -> tuple[View, ...]:
    return (
        View(
            "all",
            "phonecall",
            "CommSuite: All Logged Calls",
            "Every call the suite logged, newest first, with direction, answer and talk time (CALL-09).",
            _CALL_COLUMNS,
            (_LOGGED,),
            persian_name="CommSuite: همه تماس‌های ثبت‌شده",
        ),
        View(
            "missed",
            "phonecall",
            "CommSuite: Missed Calls",
            "Inbound calls nobody answered, newest first, to call back (CALL-08, CALL-10).",
            (
                ("phonenumber", 130),
                ("regardingobjectid", 180),
                ("comms_ringseconds", 90),
                ("comms_extensionnumber", 90),
                ("ownerid", 130),
                ("createdon", 140),
            ),
            (_INBOUND, _UNANSWERED),
            persian_name="CommSuite: تماس‌های بی‌پاسخ",
        ),
        View(
            "by_direction",
            "phonecall",
            "CommSuite: Calls by Direction",
            "Logged calls sorted by direction, then newest first (CALL-10).",
            _CALL_COLUMNS,
            (_LOGGED,),
            order=("directioncode", False),
            persian_name="CommSuite: تماس‌ها بر اساس جهت",
        ),
    )


def call_charts() -> tuple[Chart, ...]:
    logged = (_LOGGED,)
    return (
        Chart(
            "by_direction",
            "phonecall",
            "CommSuite: Calls by Direction",
            "Number of logged calls, inbound against outbound (CALL-10).",
            "activityid",
            "count",
            "directioncode",
            "Pie",
            logged,
            persian_name="CommSuite: تماس‌ها بر اساس جهت",
        ),
        Chart(
            "answered_ratio",
            "phonecall",
            "CommSuite: Answered and Unanswered Calls",
            "Inbound calls answered against unanswered: the answered ratio (CALL-10).",
            "activityid",
            "count",
            "comms_answered",
            "Pie",
            (_INBOUND, *logged),
            persian_name="CommSuite: تماس‌های پاسخ‌داده‌شده و بی‌پاسخ",
        ),
        Chart(
            "average_talk",
            "phonecall",
            "CommSuite: Average Talk Time per User",
            "Average seconds from answer to hang-up, per call owner (CALL-10).",
            "comms_talkseconds",
            "avg",
            "ownerid",
            "Bar",
            (_ANSWERED,),
            persian_name="CommSuite: میانگین مدت مکالمه هر کاربر",
        ),
        Chart(
            "average_hold",
            "phonecall",
            "CommSuite: Average Hold Time per User",
            "Average seconds the answered calls spent on hold, per call owner (CALL-10).",
            "comms_holdseconds",
            "avg",
            "ownerid",
            "Bar",
            (_ANSWERED,),
            persian_name="CommSuite: میانگین زمان انتظار هر کاربر",
        ),
        Chart(
            "per_user",
            "phonecall",
            "CommSuite: Calls per User",
            "Number of logged calls per call owner (CALL-10, CALL-20).",
            "activityid",
            "count",
            "ownerid",
            "Bar",
            logged,
            persian_name="CommSuite: تماس‌های هر کاربر",
        ),
        Chart(
            "missed_per_day",
            "phonecall",
            "CommSuite: Missed Calls per Day",
            "Unanswered inbound calls per day (CALL-08, CALL-10).",
            "activityid",
            "count",
            "createdon",
            "Column",
            (_INBOUND, _UNANSWERED),
            date_grouping="day",
            persian_name="CommSuite: تماس‌های بی‌پاسخ در هر روز",
        ),
        Chart(
            "answered_per_day",
            "phonecall",
            "CommSuite: Answered and Unanswered Calls per Day",
            f"Inbound calls per day of the last {DAYS_BACK} days, answered and unanswered stacked (CALL-10).",
            "activityid",
            "count",
            "createdon",
            "StackedColumn",
            (_INBOUND, *logged, _last_days("createdon")),
            date_grouping="day",
            series="comms_answered",
            persian_name="CommSuite: تماس‌های پاسخ‌داده‌شده و بی‌پاسخ در هر روز",
        ),
        Chart(
            "average_talk_per_day",
            "phonecall",
            "CommSuite: Average Talk Time per Day",
            f"Average seconds from answer to hang-up of the answered calls, per day of the last {DAYS_BACK} "
            "days (CALL-10).",
            "comms_talkseconds",
            "avg",
            "createdon",
            "Line",
            (_ANSWERED, _last_days("createdon")),
            date_grouping="day",
            persian_name="CommSuite: میانگین مدت مکالمه در هر روز",
        ),
        Chart(
            "per_month_by_direction",
            "phonecall",
            "CommSuite: Calls per Month by Direction",
            f"Logged calls per month of the last {MONTHS_BACK} months, inbound and outbound stacked (CALL-10).",
            "activityid",
            "count",
            "createdon",
            "StackedColumn",
            (*logged, _last_months("createdon")),
            date_grouping="month",
            series="directioncode",
            persian_name="CommSuite: تماس‌ها در هر ماه بر اساس جهت",
        ),
    )


def sms_views() -> tuple[View, ...]:
    outgoing = Condition("comms_direction", "eq", _sms_choice("comms_direction", "Outgoing"))
    incoming = Condition("comms_direction", "eq", _sms_choice("comms_direction", "Incoming"))
    failed = Condition("comms_smsstatus", "eq", _sms_choice("comms_smsstatus", "Failed"))
    failed_columns = (
        ("subject", 200),
        ("comms_phonenumber", 130),
        ("comms_error", 250),
        ("comms_attempts", 80),
        ("ownerid", 130),
        ("createdon", 130),
    )
    return (
        View(
            "outgoing",
            "comms_sms",
            "CommSuite: Outgoing SMS by Status",
            "Messages sent or waiting to be sent, grouped by where they stand (SMS-06, SMS-20).",
            (
                ("subject", 200),
                ("comms_phonenumber", 130),
                ("comms_smsstatus", 130),
                ("comms_senton", 130),
                ("comms_deliveredon", 130),
                ("ownerid", 130),
            ),
            (outgoing,),
            order=("comms_smsstatus", False),
            persian_name="CommSuite: پیامک‌های ارسالی بر اساس وضعیت",
        ),
        View(
            "failed",
            "comms_sms",
            "CommSuite: Failed SMS",
            "Outgoing messages that failed after every attempt, with the reason (SMS-06, SMS-22).",
            failed_columns,
            (outgoing, failed),
            persian_name="CommSuite: پیامک‌های ناموفق",
        ),
        View(
            "incoming",
            "comms_sms",
            "CommSuite: Incoming SMS",
            "Messages received, newest first, with the rule they matched and when they reached a work queue "
            "(SMS-02, SMS-16, SMS-24).",
            (
                ("comms_phonenumber", 130),
                ("comms_message", 300),
                ("comms_sendernumber", 120),
                ("regardingobjectid", 160),
                ("comms_keywordruleid", 140),
                ("comms_receivedon", 130),
                ("comms_queuedon", 130),
            ),
            (incoming,),
            order=("comms_receivedon", True),
            persian_name="CommSuite: پیامک‌های دریافتی",
        ),
        View(
            "failed_last_7_days",
            "comms_sms",
            "CommSuite: Failed SMS (Last 7 Days)",
            "Outgoing messages given up as failed in the last seven days, newest first, with the reason "
            "(SMS-06, SMS-22).",
            (*failed_columns[:-1], ("comms_failedon", 130)),
            (outgoing, failed, Condition("comms_failedon", "last-seven-days")),
            order=("comms_failedon", True),
            persian_name="CommSuite: پیامک‌های ناموفق (۷ روز گذشته)",
        ),
        View(
            "by_bulk",
            "comms_sms",
            "CommSuite: SMS by Bulk Send",
            "Messages of bulk sends (the marketing list or campaign they went to), sorted by bulk send "
            "(SMS-06, SMS-08).",
            (
                ("comms_smsbulkid", 180),
                ("comms_phonenumber", 130),
                ("regardingobjectid", 160),
                ("comms_smsstatus", 130),
                ("comms_senton", 130),
                ("comms_deliveredon", 130),
            ),
            (outgoing, Condition("comms_smsbulkid", "not-null")),
            order=("comms_smsbulkid", False),
            persian_name="CommSuite: پیامک‌ها بر اساس ارسال گروهی",
        ),
    )


def sms_charts() -> tuple[Chart, ...]:
    outgoing = Condition("comms_direction", "eq", _sms_choice("comms_direction", "Outgoing"))
    return (
        Chart(
            "outgoing_by_status",
            "comms_sms",
            "CommSuite: Outgoing SMS by Status",
            "Outgoing messages per status: pending, sent, delivered, failed (SMS-06).",
            "activityid",
            "count",
            "comms_smsstatus",
            "Column",
            (outgoing,),
            persian_name="CommSuite: پیامک‌های ارسالی بر اساس وضعیت",
        ),
        Chart(
            "per_user",
            "comms_sms",
            "CommSuite: SMS per User",
            "Messages per owner (SMS-06).",
            "activityid",
            "count",
            "ownerid",
            "Bar",
            persian_name="CommSuite: پیامک‌های هر کاربر",
        ),
        Chart(
            "per_day_by_status",
            "comms_sms",
            "CommSuite: Outgoing SMS per Day by Status",
            f"Outgoing messages created per day of the last {DAYS_BACK} days, stacked by status (SMS-06).",
            "activityid",
            "count",
            "createdon",
            "StackedColumn",
            (outgoing, _last_days("createdon")),
            date_grouping="day",
            series="comms_smsstatus",
            persian_name="CommSuite: پیامک‌های ارسالی در هر روز بر اساس وضعیت",
        ),
        Chart(
            "per_month_by_status",
            "comms_sms",
            "CommSuite: Outgoing SMS per Month by Status",
            f"Outgoing messages created per month of the last {MONTHS_BACK} months, stacked by status (SMS-06).",
            "activityid",
            "count",
            "createdon",
            "StackedColumn",
            (outgoing, _last_months("createdon")),
            date_grouping="month",
            series="comms_smsstatus",
            persian_name="CommSuite: پیامک‌های ارسالی در هر ماه بر اساس وضعیت",
        ),
        Chart(
            "delivery_rate_per_day",
            "comms_sms",
            "CommSuite: SMS Delivery Rate per Day",
            f"Of the messages the provider accepted each day of the last {DAYS_BACK} days, the share per "
            "status: delivered against sent to operator, failed, ... (100% stacked; SMS-06, SMS-20).",
            "activityid",
            "count",
            "comms_senton",
            "StackedColumn100",
            (outgoing, _last_days("comms_senton")),
            date_grouping="day",
            series="comms_smsstatus",
            persian_name="CommSuite: نرخ تحویل پیامک در هر روز",
        ),
        Chart(
            "delivery_rate_per_provider",
            "comms_sms",
            "CommSuite: SMS Delivery Rate per Provider Account",
            f"Of the messages each provider account accepted in the last {DAYS_BACK} days, the share per "
            "status (100% stacked; SMS-06, SMS-13, SMS-20).",
            "activityid",
            "count",
            "comms_smsproviderid",
            "StackedBar100",
            (outgoing, _last_days("comms_senton")),
            series="comms_smsstatus",
            persian_name="CommSuite: نرخ تحویل پیامک برای هر حساب سرویس",
        ),
        Chart(
            "per_bulk_by_status",
            "comms_sms",
            "CommSuite: SMS per Bulk Send by Status",
            "Messages of each bulk send (marketing list or campaign), stacked by status (SMS-06, SMS-08).",
            "activityid",
            "count",
            "comms_smsbulkid",
            "StackedBar",
            (outgoing, Condition("comms_smsbulkid", "not-null")),
            series="comms_smsstatus",
            persian_name="CommSuite: پیامک‌های هر ارسال گروهی بر اساس وضعیت",
        ),
        Chart(
            "per_customer_category",
            "comms_sms",
            "CommSuite: SMS by Customer Category",
            "Outgoing messages regarding an account, per account category (Preferred Customer, Standard), "
            "stacked by status (SMS-06).",
            "activityid",
            "count",
            "accountcategorycode",
            "StackedColumn",
            (outgoing,),
            series="comms_smsstatus",
            link=REGARDING_ACCOUNT,
            persian_name="CommSuite: پیامک‌ها بر اساس دسته مشتری",
        ),
    )


class ViewsAndCharts:
    """Component provider: the views and charts above, as parts of their tables' ``Entity`` elements."""

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
