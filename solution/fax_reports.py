"""The fax views and charts CommSuite ships (FAX-11, FAX-15; issue 13).

Views on the standard fax activity: my faxes, failed faxes of the last seven days,
received faxes, and outgoing faxes by status. Charts: outgoing faxes by status, faxes per
user (owner), per customer (the record a fax is regarding: account, contact, lead, ...),
per day by status (last 30 days) and per month sent against received (last 12 months).
:class:`solution.reports.ViewsAndCharts` ships them with the call and SMS ones.

*Failed* means the three ends a fax does not come back from by itself: *Failed*, *Gave
up* (its give-up time passed), *Rejected: no fax number* and *Rejected: recipient allows no
faxes*; *Busy* and *No answer* are
retried and are not failures yet.
"""

from __future__ import annotations

from solution.views import Chart, Condition, View, choice_value

FAX = "fax"
#: ``directioncode`` of an activity: false incoming, true outgoing.
OUTGOING = Condition("directioncode", "eq", "1")
INCOMING = Condition("directioncode", "eq", "0")
DAYS_BACK = 30
MONTHS_BACK = 12
FAILED_LABELS = ("Failed", "Gave up", "Rejected: no fax number", "Rejected: recipient allows no faxes")


def fax_status(label: str) -> str:
    return str(choice_value(FAX, "comms_faxstatus", label))


def failed() -> Condition:
    return Condition("comms_faxstatus", "in", values=tuple(fax_status(label) for label in FAILED_LABELS))


#: Party lists (to, from) cannot be view columns in Dataverse; the fax number and regarding say who.
_OUT_COLUMNS = (
    ("subject", 220),
    ("faxnumber", 120),
    ("regardingobjectid", 160),
    ("comms_faxstatus", 130),
    ("comms_statusdetail", 220),
    ("comms_attempts", 70),
    ("ownerid", 130),
    ("createdon", 130),
)


def fax_views() -> tuple[View, ...]:
    return (
        View(
            "mine",
            FAX,
            "CommSuite: My Faxes",
            "Faxes I own, sent and received, newest first, with where each stands (FAX-11, FAX-15).",
            (
                ("subject", 220),
                ("directioncode", 80),
                ("faxnumber", 120),
                ("regardingobjectid", 160),
                ("comms_faxstatus", 130),
                ("comms_statusdetail", 200),
                ("createdon", 130),
            ),
            (Condition("ownerid", "eq-userid"),),
            persian_name="CommSuite: فکس‌های من",
        ),
        View(
            "failed_last_7_days",
            FAX,
            "CommSuite: Failed Faxes (Last 7 Days)",
            "Outgoing faxes that failed, gave up or had no fax number, last tried in the last seven days, "
            "newest first, with the reason (FAX-06, FAX-11, FAX-12).",
            (*_OUT_COLUMNS[:-1], ("comms_lastattempton", 130)),
            (OUTGOING, failed(), Condition("modifiedon", "last-seven-days")),
            order=("modifiedon", True),
            persian_name="CommSuite: فکس‌های ناموفق (۷ روز گذشته)",
        ),
        View(
            "received",
            FAX,
            "CommSuite: Received Faxes",
            "Faxes received, newest first, with the sender matched by number (FAX-16..18).",
            (
                ("subject", 220),
                ("regardingobjectid", 160),
                ("faxnumber", 120),
                ("numberofpages", 70),
                ("comms_remotestationid", 120),
                ("comms_faxserverid", 130),
                ("actualend", 130),
            ),
            (INCOMING,),
            order=("actualend", True),
            persian_name="CommSuite: فکس‌های دریافتی",
        ),
        View(
            "by_status",
            FAX,
            "CommSuite: Outgoing Faxes by Status",
            "Faxes sent or waiting to be sent, sorted by where they stand (FAX-11, FAX-15).",
            _OUT_COLUMNS,
            (OUTGOING,),
            order=("comms_faxstatus", False),
            persian_name="CommSuite: فکس‌های ارسالی بر اساس وضعیت",
        ),
    )


def fax_charts() -> tuple[Chart, ...]:
    return (
        Chart(
            "by_status",
            FAX,
            "CommSuite: Outgoing Faxes by Status",
            "Outgoing faxes per status: pending, queued, sending, sent, retrying, failed (FAX-11, FAX-15).",
            "activityid",
            "count",
            "comms_faxstatus",
            "Column",
            (OUTGOING,),
            persian_name="CommSuite: فکس‌های ارسالی بر اساس وضعیت",
        ),
        Chart(
            "per_user",
            FAX,
            "CommSuite: Faxes per User",
            "Faxes per owner, sent and received stacked (FAX-15).",
            "activityid",
            "count",
            "ownerid",
            "StackedBar",
            series="directioncode",
            persian_name="CommSuite: فکس‌های هر کاربر",
        ),
        Chart(
            "per_customer",
            FAX,
            "CommSuite: Faxes per Customer",
            "Faxes per record they are regarding (account, contact, lead, case), sent and received stacked "
            "(FAX-15, FAX-17).",
            "activityid",
            "count",
            "regardingobjectid",
            "StackedBar",
            (Condition("regardingobjectid", "not-null"),),
            series="directioncode",
            persian_name="CommSuite: فکس‌های هر مشتری",
        ),
        Chart(
            "per_day_by_status",
            FAX,
            "CommSuite: Outgoing Faxes per Day by Status",
            f"Outgoing faxes created per day of the last {DAYS_BACK} days, stacked by status (FAX-15).",
            "activityid",
            "count",
            "createdon",
            "StackedColumn",
            (OUTGOING, Condition("createdon", "last-x-days", str(DAYS_BACK))),
            date_grouping="day",
            series="comms_faxstatus",
            persian_name="CommSuite: فکس‌های ارسالی در هر روز بر اساس وضعیت",
        ),
        Chart(
            "per_month_by_direction",
            FAX,
            "CommSuite: Faxes per Month, Sent and Received",
            f"Faxes per month of the last {MONTHS_BACK} months, sent and received stacked (FAX-15).",
            "activityid",
            "count",
            "createdon",
            "StackedColumn",
            (Condition("createdon", "last-x-months", str(MONTHS_BACK)),),
            date_grouping="month",
            series="directioncode",
            persian_name="CommSuite: فکس‌ها در هر ماه، ارسالی و دریافتی",
        ),
    )
