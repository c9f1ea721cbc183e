"""Small tables for the store tests (independent of the real schema registry)."""

from __future__ import annotations

from dataverse_schema.model import AlternateKey, Column, ColumnType, OptionSet, Table, choices

GUID_PREFIX = "00000000-0000-0000-0000-"


def guid(n: int) -> str:
    return f"{GUID_PREFIX}{n:012d}"


def _table(logical: str, entity_set: str, columns: tuple[Column, ...], **extra) -> Table:
    primary_id = extra.pop("primary_id", f"{logical}id")
    return Table(
        logical_name=logical,
        schema_name=logical,
        entity_set_name=entity_set,
        display_name=logical,
        plural_display_name=entity_set,
        primary_id=primary_id,
        primary_name=extra.pop("primary_name", "name"),
        columns=columns,
        **extra,
    )


SMS_STATUS = choices("Pending", "Sent", "Delivered", "Failed", default=0)


def account() -> Table:
    return _table(
        "account",
        "accounts",
        (
            Column("name", "Name", ColumnType.STRING, "Name", max_length=20),
            Column("accountnumber", "AccountNumber", ColumnType.STRING, "Number", max_length=20),
            Column("revenue", "Revenue", ColumnType.MONEY, "Revenue"),
        ),
        is_custom=False,
        keys=(AlternateKey("AccountNumberKey", ("accountnumber",), "Number"),),
    )


def contact() -> Table:
    return _table(
        "contact",
        "contacts",
        (
            Column("fullname", "FullName", ColumnType.STRING, "Name", max_length=160),
            Column("mobilephone", "MobilePhone", ColumnType.STRING, "Mobile", max_length=50),
            Column("numberofchildren", "NumberOfChildren", ColumnType.INTEGER, "Children", min_value=0, max_value=99),
            Column("birthdate", "BirthDate", ColumnType.DATETIME, "Birthday"),
            Column("donotphone", "DoNotPhone", ColumnType.BOOLEAN, "Do not phone"),
            Column(
                "parentcustomerid", "ParentCustomerId", ColumnType.CUSTOMER, "Company", targets=("account", "contact")
            ),
        ),
        is_custom=False,
        primary_name="fullname",
    )


def sms() -> Table:
    """A custom activity with a custom lookup, a regarding lookup, an alternate key and a choice."""
    return _table(
        "comms_sms",
        "comms_smses",
        (
            Column("activityid", "ActivityId", ColumnType.UNIQUEIDENTIFIER, "Id"),
            Column("subject", "Subject", ColumnType.STRING, "Subject", max_length=200),
            Column(
                "comms_providermessageid", "comms_ProviderMessageId", ColumnType.STRING, "Provider id", max_length=100
            ),
            Column("comms_status", "comms_Status", ColumnType.PICKLIST, "Status", options=SMS_STATUS),
            Column("comms_tags", "comms_Tags", ColumnType.MULTI_PICKLIST, "Tags", options=SMS_STATUS),
            Column("comms_contactid", "comms_ContactId", ColumnType.LOOKUP, "Contact", targets=("contact",)),
            Column(
                "regardingobjectid", "RegardingObjectId", ColumnType.LOOKUP, "Regarding", targets=("account", "contact")
            ),
            Column("to", "To", ColumnType.PARTYLIST, "To"),
        ),
        primary_id="activityid",
        primary_name="subject",
        is_activity=True,
        keys=(AlternateKey("comms_ProviderMessageKey", ("comms_providermessageid",), "Provider id"),),
    )


def phonecall() -> Table:
    return _table(
        "phonecall",
        "phonecalls",
        (
            Column("activityid", "ActivityId", ColumnType.UNIQUEIDENTIFIER, "Id"),
            Column("subject", "Subject", ColumnType.STRING, "Subject", max_length=200),
            Column("phonenumber", "PhoneNumber", ColumnType.STRING, "Phone", max_length=200),
            Column("directioncode", "DirectionCode", ColumnType.BOOLEAN, "Direction", default=True),
        ),
        primary_id="activityid",
        primary_name="subject",
        is_activity=True,
        is_custom=False,
    )


def line() -> Table:
    """A table whose alternate key has two parts, one of them a lookup."""
    return _table(
        "comms_line",
        "comms_lines",
        (
            Column("comms_name", "comms_Name", ColumnType.STRING, "Name", max_length=100),
            Column("comms_extension", "comms_Extension", ColumnType.INTEGER, "Extension"),
            Column("comms_accountid", "comms_AccountId", ColumnType.LOOKUP, "Account", targets=("account",)),
        ),
        primary_name="comms_name",
        keys=(AlternateKey("comms_LineKey", ("comms_accountid", "comms_extension"), "Line"),),
    )


def all_tables() -> list[Table]:
    return [account(), contact(), sms(), phonecall(), line()]


__all__ = ["OptionSet", "SMS_STATUS", "all_tables", "guid"]
