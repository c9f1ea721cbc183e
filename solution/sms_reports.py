"""The SMS views and charts CommSuite ships (SMS-06).

Views: outgoing messages by status, failed messages (all and the last seven days),
incoming messages and messages by bulk send. Charts: outgoing messages by status, per
user, per day and per month by status, the delivery rate per day and per provider
account, per bulk send and per customer category (the category of the account a message
is regarding). :class:`solution.reports.ViewsAndCharts` ships them with the call and fax
ones.
"""

from __future__ import annotations

from solution.views import DAYS_BACK, MONTHS_BACK, Chart, Condition, Link, View, choice_value, last_days, last_months

#: The account an SMS is regarding. An SMS regarding a contact, lead or case is not joined.
REGARDING_ACCOUNT = Link("account", "accountid", "regardingobjectid", "customer")


def _sms_choice(column: str, label: str) -> str:
    return str(choice_value("comms_sms", column, label))


def sms_views() -> tuple[View, ...]:
    """The SMS views: outgoing by status, failed (all and the last seven days), incoming, and by bulk send."""
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
    """The SMS charts: volumes, volumes over time, delivery rates and audiences (SMS-06)."""
    outgoing = Condition("comms_direction", "eq", _sms_choice("comms_direction", "Outgoing"))
    return (*_sms_volumes(outgoing), *_sms_over_time(outgoing), *_delivery_rates(outgoing), *_sms_by_audience(outgoing))


def _sms_volumes(outgoing: Condition) -> tuple[Chart, ...]:
    """Outgoing messages by status, and messages per owner."""
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
    )


def _sms_over_time(outgoing: Condition) -> tuple[Chart, ...]:
    """Outgoing messages per day and per month, stacked by status."""
    return (
        Chart(
            "per_day_by_status",
            "comms_sms",
            "CommSuite: Outgoing SMS per Day by Status",
            f"Outgoing messages created per day of the last {DAYS_BACK} days, stacked by status (SMS-06).",
            "activityid",
            "count",
            "createdon",
            "StackedColumn",
            (outgoing, last_days("createdon")),
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
            (outgoing, last_months("createdon")),
            date_grouping="month",
            series="comms_smsstatus",
            persian_name="CommSuite: پیامک‌های ارسالی در هر ماه بر اساس وضعیت",
        ),
    )


def _delivery_rates(outgoing: Condition) -> tuple[Chart, ...]:
    """The share of accepted messages per status, per day and per provider account."""
    return (
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
            (outgoing, last_days("comms_senton")),
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
            (outgoing, last_days("comms_senton")),
            series="comms_smsstatus",
            persian_name="CommSuite: نرخ تحویل پیامک برای هر حساب سرویس",
        ),
    )


def _sms_by_audience(outgoing: Condition) -> tuple[Chart, ...]:
    """Messages per bulk send and per customer category, stacked by status."""
    return (
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
