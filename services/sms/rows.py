"""The SMS rows the sender, the delivery tracker and the timers read and write, as values.

Every Dataverse name (tables, columns, choice values) of the SMS area is
spelled in this module, :mod:`services.sms.row_mapping` and
:mod:`services.sms.store` only; the services above them speak in these
dataclasses.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from dataverse_schema import sms as schema


class SmsStatus(enum.Enum):
    """The SMS activity's status column (SMS-20), by its English label."""

    DRAFT = "Draft"
    PENDING = "Pending"
    QUEUED = "Queued at provider"
    SENT_TO_OPERATOR = "Sent to operator"
    DELIVERED = "Delivered"
    FAILED = "Failed"
    RECEIVED = "Received"
    CANCELLED = "Cancelled"
    SENDING = "Sending"
    OUTCOME_UNKNOWN = "Outcome unknown"

    @property
    def value_code(self) -> int:
        return schema.SMS_STATUS.value_of(self.value)

    @classmethod
    def from_code(cls, code: object) -> SmsStatus | None:
        for status in cls:
            if status.value_code == code:
                return status
        return None


class AttemptStatus(enum.Enum):
    """The SMS process row's status column (SMS-20, -22)."""

    SENDING = "Sending"
    ACCEPTED = "Accepted by provider"
    SENT_TO_OPERATOR = "Sent to operator"
    DELIVERED = "Delivered"
    FAILED = "Failed"
    OUTCOME_UNKNOWN = "Outcome unknown"

    @property
    def value_code(self) -> int:
        return schema.ATTEMPT_STATUS.value_of(self.value)

    @classmethod
    def from_code(cls, code: object) -> AttemptStatus | None:
        for status in cls:
            if status.value_code == code:
                return status
        return None

    @property
    def is_unresolved(self) -> bool:
        """The provider may or may not have the message: look it up before any resend."""
        return self in (AttemptStatus.SENDING, AttemptStatus.OUTCOME_UNKNOWN)


class ProviderHealth(enum.Enum):
    """The provider account's status column (SMS-14)."""

    UNKNOWN = "Unknown"
    WORKING = "Working"
    AUTH_FAILED = "Authentication failed"
    UNREACHABLE = "Unreachable"
    OUT_OF_CREDIT = "Out of credit"

    @property
    def value_code(self) -> int:
        return schema.PROVIDER_STATUS.value_of(self.value)


OUTGOING = schema.DIRECTIONS.value_of("Outgoing")


@dataclass(frozen=True)
class RecordLink:
    """A lookup's target: table logical name and GUID."""

    table: str
    record_id: str


@dataclass(frozen=True)
class SmsRow:
    """An SMS activity as the sender needs it; ``etag`` guards the claim."""

    sms_id: str
    etag: str
    status: SmsStatus | None
    is_outgoing: bool
    phone: str | None
    message: str | None
    owner_id: str | None
    regarding: RecordLink | None
    provider_account_id: str | None
    number_id: str | None
    template_id: str | None
    attempts: int
    claimed_on: datetime | None
    next_attempt_on: datetime | None
    segments: int | None = None
    owner_table: str | None = None


@dataclass(frozen=True)
class AttemptRow:
    """One SMS process row: one send attempt of one SMS under our own id (``attempt_key``)."""

    attempt_id: str
    sms_id: str
    attempt: int
    attempt_key: str
    status: AttemptStatus | None
    provider_account_id: str | None = None
    provider_message_id: str | None = None
    requested_on: datetime | None = None
    accepted_on: datetime | None = None
    bad_replies: int = 0  # unreadable status replies in a row (the poll's backoff, SMS-20)


@dataclass(frozen=True)
class ProviderRow:
    """An SMS provider account row (SMS-13, -14, -18, -22, -23)."""

    account_id: str
    account_key: str
    kind: str
    name: str
    is_default: bool
    base_url: str | None
    user_name: str | None
    credential_reference: str | None
    settings_json: str | None
    low_balance_threshold: Decimal | None
    poll_interval_s: int | None
    max_attempts: int | None
    retry_interval_s: int | None
    modified_on: datetime | None
    webhook_generation: int = 0
    panel_description: str | None = None


@dataclass(frozen=True)
class NumberRow:
    """A sender number of a provider account, maybe dedicated to a user (SMS-04, -17)."""

    number_id: str
    number: str
    provider_account_id: str | None
    user_id: str | None
    can_send: bool
    is_default: bool


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")


def parse_when(value: object) -> datetime | None:
    """A Dataverse date-time value (``2026-01-02T03:04:05Z``) as an aware datetime, else ``None``."""
    if not isinstance(value, str) or not _ISO_DATETIME.fullmatch(value):
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def field_value(value: object) -> object:
    """A column value for template filling: ISO date and date-time text become ``date`` / ``datetime``."""
    if isinstance(value, str):
        if _ISO_DATETIME.fullmatch(value):
            return parse_when(value)
        if _ISO_DATE.fullmatch(value):
            return date.fromisoformat(value)
    return value


def when_text(moment: datetime) -> str:
    """A datetime as Dataverse wants it: UTC, second precision, ``Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
