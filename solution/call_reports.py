"""The phone-call views and charts CommSuite ships (CALL-08, -09, -10, -20).

Views: every logged call, missed inbound calls, and logged calls by direction. Charts:
calls by direction, answered against unanswered, average talk time and average hold time
per user, calls per user, and over time (missed, answered / unanswered and average talk
time per day, calls per month by direction). :class:`solution.reports.ViewsAndCharts`
ships them with the SMS and fax ones.
"""

from __future__ import annotations

from solution.views import DAYS_BACK, MONTHS_BACK, Chart, Condition, View, last_days, last_months

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


def call_views() -> tuple[View, ...]:
    """The phone-call views: every logged call, the missed ones, and all by direction (CALL-08, -09, -10)."""
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
    """The phone-call charts: how calls divide, what each user handles, and both over time (CALL-10, -20)."""
    return (*_call_shares(), *_calls_per_user(), *_calls_per_day(), *_calls_per_month())


def _call_shares() -> tuple[Chart, ...]:
    """How the logged calls divide: by direction, and inbound answered against unanswered."""
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
            (_LOGGED,),
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
            (_INBOUND, _LOGGED),
            persian_name="CommSuite: تماس‌های پاسخ‌داده‌شده و بی‌پاسخ",
        ),
    )


def _calls_per_user() -> tuple[Chart, ...]:
    """Per call owner: average talk and hold time, and the number of calls."""
    return (
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
            (_LOGGED,),
            persian_name="CommSuite: تماس‌های هر کاربر",
        ),
    )


def _calls_per_day() -> tuple[Chart, ...]:
    """Calls per day: the missed ones, and over the last :data:`DAYS_BACK` days answered against unanswered and
    the average talk time."""
    return (
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
            (_INBOUND, _LOGGED, last_days("createdon")),
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
            (_ANSWERED, last_days("createdon")),
            date_grouping="day",
            persian_name="CommSuite: میانگین مدت مکالمه در هر روز",
        ),
    )


def _calls_per_month() -> tuple[Chart, ...]:
    """Calls per month of the last :data:`MONTHS_BACK` months, by direction."""
    return (
        Chart(
            "per_month_by_direction",
            "phonecall",
            "CommSuite: Calls per Month by Direction",
            f"Logged calls per month of the last {MONTHS_BACK} months, inbound and outbound stacked (CALL-10).",
            "activityid",
            "count",
            "createdon",
            "StackedColumn",
            (_LOGGED, last_months("createdon")),
            date_grouping="month",
            series="directioncode",
            persian_name="CommSuite: تماس‌ها در هر ماه بر اساس جهت",
        ),
    )
