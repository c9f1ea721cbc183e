"""How the SMS area's Dataverse rows map to and from the values of :mod:`services.sms.rows`.

The column names a service field is written to, the columns an attempt is read
with, and the readers that turn a Web API row into an ``SmsRow``, ``AttemptRow``,
``ProviderRow`` or ``NumberRow``. Reads that need a polymorphic lookup's table
ask for the ``lookuplogicalname`` annotation (:data:`LOOKUP_TABLES`), which real
Dataverse only sends on request; :func:`record_link` reads it back.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from connectors.dataverse import bind
from dataverse_schema.names import Sms, SmsNumber, SmsProcess, SmsProvider
from domain.digits import digit_setting
from services.sms.rows import (
    OUTGOING,
    AttemptRow,
    AttemptStatus,
    NumberRow,
    ProviderRow,
    RecordLink,
    SmsRow,
    SmsStatus,
    parse_when,
    when_text,
)

LOOKUP_TABLES = {"Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"'}
TABLE_ANNOTATION = "@Microsoft.Dynamics.CRM.lookuplogicalname"

#: Service field name -> column (or ``(navigation, entity set)`` for a lookup) written by :func:`to_columns`.
SMS_FIELDS = {
    "status": Sms.SMSSTATUS,
    "error": Sms.ERROR,
    "segments": Sms.SEGMENTS,
    "attempts": Sms.ATTEMPTS,
    "phone": Sms.PHONENUMBER,
    "message": Sms.MESSAGE,
    "sender": Sms.SENDERNUMBER,
    "account_key": Sms.PROVIDERACCOUNTKEY,
    "provider_message_id": Sms.PROVIDERMESSAGEID,
    "sent_on": Sms.SENTON,
    "operator_on": Sms.OPERATORON,
    "delivered_on": Sms.DELIVEREDON,
    "failed_on": Sms.FAILEDON,
    "next_attempt_on": Sms.NEXTATTEMPTON,
    "claimed_on": Sms.CLAIMEDON,
    "account": (Sms.SMSPROVIDERID_NAV, SmsProvider.SET),
    "number": (Sms.SMSNUMBERID_NAV, SmsNumber.SET),
}
ATTEMPT_FIELDS = {
    "status": SmsProcess.ATTEMPTSTATUS,
    "provider_message_id": SmsProcess.PROVIDERMESSAGEID,
    "code": SmsProcess.ERRORCODE,
    "error": SmsProcess.ERROR,
    "accepted_on": SmsProcess.ACCEPTEDON,
    "delivered_on": SmsProcess.DELIVEREDON,
    "checked_on": SmsProcess.STATUSCHECKEDON,
    "bad_replies": SmsProcess.STATUSBADREPLIES,
    "retry_on": SmsProcess.STATUSRETRYON,
    "reconciled_on": SmsProcess.RECONCILEDON,
}
PROVIDER_FIELDS = {
    "balance": SmsProvider.BALANCE,
    "balance_unit": SmsProvider.BALANCEUNIT,
    "balance_read_on": SmsProvider.BALANCEREADON,
    "is_low_balance": SmsProvider.ISLOWBALANCE,
    "health": SmsProvider.PROVIDERSTATUS,
    "detail": SmsProvider.STATUSDETAIL,
}
ATTEMPT_COLUMNS = [
    SmsProcess.ID,
    SmsProcess.SMSID_VALUE,
    SmsProcess.ATTEMPT,
    SmsProcess.ATTEMPTKEY,
    SmsProcess.ATTEMPTSTATUS,
    SmsProcess.SMSPROVIDERID_VALUE,
    SmsProcess.PROVIDERMESSAGEID,
    SmsProcess.REQUESTEDON,
    SmsProcess.ACCEPTEDON,
    SmsProcess.STATUSBADREPLIES,
]


def to_columns(changes: Mapping[str, Any], fields: Mapping[str, Any]) -> dict[str, Any]:
    """Map service field names to columns; enums become choice values, datetimes Dataverse text, links binds."""
    body: dict[str, Any] = {}
    for name, value in changes.items():
        column = fields[name]
        if isinstance(column, tuple):
            navigation, entity_set = column
            body.update(bind(navigation, entity_set, value))
            continue
        if hasattr(value, "value_code"):
            value = value.value_code
        elif isinstance(value, datetime):
            value = when_text(value)
        elif isinstance(value, str) and name == "error":
            value = value[:4000]
        body[column] = value
    return body


def record_link(row: Mapping[str, Any], column: str) -> RecordLink | None:
    """The polymorphic lookup ``column`` of ``row`` as a link, or ``None`` when it or its table is missing."""
    value, table = row.get(column), row.get(column + TABLE_ANNOTATION)
    return RecordLink(str(table), str(value)) if value and table else None


def sms_row(row: Mapping[str, Any], etag: str) -> SmsRow:
    """An SMS activity row, read with its lookup tables, as an ``SmsRow`` carrying ``etag``."""
    return SmsRow(
        sms_id=str(row[Sms.ID]),
        etag=etag,
        status=SmsStatus.from_code(row.get(Sms.SMSSTATUS)),
        is_outgoing=row.get(Sms.DIRECTION) in (None, OUTGOING),
        phone=row.get(Sms.PHONENUMBER),
        message=row.get(Sms.MESSAGE),
        owner_id=row.get(Sms.OWNERID_VALUE),
        owner_table=row.get(Sms.OWNERID_VALUE + TABLE_ANNOTATION),
        regarding=record_link(row, Sms.REGARDINGOBJECTID_VALUE),
        provider_account_id=row.get(Sms.SMSPROVIDERID_VALUE),
        number_id=row.get(Sms.SMSNUMBERID_VALUE),
        template_id=row.get(Sms.SMSTEMPLATEID_VALUE),
        attempts=int(row.get(Sms.ATTEMPTS) or 0),
        claimed_on=parse_when(row.get(Sms.CLAIMEDON)),
        next_attempt_on=parse_when(row.get(Sms.NEXTATTEMPTON)),
        segments=row.get(Sms.SEGMENTS),
    )


def attempt_row(row: Mapping[str, Any]) -> AttemptRow:
    """An SMS process row, read with :data:`ATTEMPT_COLUMNS`, as an ``AttemptRow``."""
    return AttemptRow(
        attempt_id=str(row[SmsProcess.ID]),
        sms_id=str(row.get(SmsProcess.SMSID_VALUE)),
        attempt=int(row.get(SmsProcess.ATTEMPT) or 0),
        attempt_key=str(row.get(SmsProcess.ATTEMPTKEY)),
        status=AttemptStatus.from_code(row.get(SmsProcess.ATTEMPTSTATUS)),
        provider_account_id=row.get(SmsProcess.SMSPROVIDERID_VALUE),
        provider_message_id=row.get(SmsProcess.PROVIDERMESSAGEID),
        requested_on=parse_when(row.get(SmsProcess.REQUESTEDON)),
        accepted_on=parse_when(row.get(SmsProcess.ACCEPTEDON)),
        bad_replies=int(row.get(SmsProcess.STATUSBADREPLIES) or 0),
    )


def provider_row(row: Mapping[str, Any]) -> ProviderRow:
    """A provider account row as a ``ProviderRow``."""
    threshold = row.get(SmsProvider.LOWBALANCETHRESHOLD)
    return ProviderRow(
        account_id=str(row[SmsProvider.ID]),
        account_key=str(row.get(SmsProvider.ACCOUNTKEY) or ""),
        kind=str(row.get(SmsProvider.PROVIDERKIND) or ""),
        name=str(row.get(SmsProvider.NAME) or ""),
        is_default=bool(row.get(SmsProvider.ISDEFAULT)),
        base_url=row.get(SmsProvider.BASEURL) or None,
        user_name=row.get(SmsProvider.USERNAME) or None,
        credential_reference=row.get(SmsProvider.CREDENTIALREFERENCE) or None,
        settings_json=row.get(SmsProvider.SETTINGS) or None,
        low_balance_threshold=None if threshold is None else Decimal(str(threshold)),
        poll_interval_s=row.get(SmsProvider.POLLINTERVALSECONDS),
        max_attempts=row.get(SmsProvider.MAXATTEMPTS),
        retry_interval_s=row.get(SmsProvider.RETRYINTERVALSECONDS),
        modified_on=parse_when(row.get(SmsProvider.MODIFIEDON)),
        webhook_generation=int(row.get(SmsProvider.WEBHOOKGENERATION) or 0),
        panel_description=row.get(SmsProvider.PANELDESCRIPTION) or None,
    )


def number_row(row: Mapping[str, Any]) -> NumberRow:
    """An SMS number row as a ``NumberRow``."""
    return NumberRow(
        number_id=str(row[SmsNumber.ID]),
        number=digit_setting(str(row.get(SmsNumber.NUMBER) or "")),  # the sender line a provider is given
        provider_account_id=row.get(SmsNumber.SMSPROVIDERID_VALUE),
        user_id=row.get(SmsNumber.SYSTEMUSERID_VALUE),
        can_send=row.get(SmsNumber.CANSEND) is not False,
        is_default=bool(row.get(SmsNumber.ISDEFAULT)),
    )
