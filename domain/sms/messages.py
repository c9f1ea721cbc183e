"""Values an SMS provider takes and returns (SMS-13, -17, -18, -20, -21, -14).

Every provider connector speaks in these frozen dataclasses, never in dicts or
HTTP responses, so the sender, the delivery tracker and the webhooks stay the
same whichever provider is the default.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal


class DeliveryStatus(enum.Enum):
    """Where one message is, on the one scale every provider maps onto (SMS-20).

    QUEUED: accepted by the provider, not yet handed on (includes scheduled).
    SENT_TO_OPERATOR: handed to (or accepted by) the mobile operator; may stay
    here for up to ~30 hours, or for ever when the operator sends no report.
    DELIVERED: reached the handset. FAILED: will not arrive (rejected,
    undelivered, cancelled). EXPIRED: the operator gave up after the validity
    period. BLOCKED: the recipient is on a blacklist or opted out ("لغو11").
    UNKNOWN: the provider no longer knows or never said.
    """

    QUEUED = "queued"
    SENT_TO_OPERATOR = "sent_to_operator"
    DELIVERED = "delivered"
    FAILED = "failed"
    EXPIRED = "expired"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"

    @property
    def is_final(self) -> bool:
        """True when the status will not change any more."""
        return self in _FINAL


_FINAL = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.FAILED, DeliveryStatus.EXPIRED, DeliveryStatus.BLOCKED})


@dataclass(frozen=True)
class OutgoingSms:
    """One text to one recipient (SMS-01, -17).

    ``our_id`` is our deterministic id for this (message, recipient) pair; the
    connectors hand it to every provider that accepts a client-side id, so a
    resend after a crash is recognised instead of texting twice (DESIGN
    principle 2). ``to`` is the recipient in E.164 (``+989121234567``); each
    connector renders it the way its provider wants. ``sender`` is the line
    number the recipient sees (SMS-04, -17); ``None`` means the provider
    settings' default line.
    """

    our_id: str
    to: str
    text: str
    sender: str | None = None
    flash: bool = False

    def __post_init__(self) -> None:
        if not self.our_id:
            raise ValueError("an outgoing SMS needs our id")
        if not self.to.startswith("+") or not self.to[1:].isascii() or not self.to[1:].isdigit():
            raise ValueError("the recipient must be an E.164 number such as +989121234567")
        if not self.text:
            raise ValueError("an SMS needs text")


@dataclass(frozen=True)
class SendReceipt:
    """What the provider said about one recipient of a send.

    ``provider_id`` is the provider's message id (``None`` when this recipient
    was refused). ``status`` is QUEUED or SENT_TO_OPERATOR for an accepted
    message, FAILED or BLOCKED for a refused one, with ``code`` (the
    provider's own code) and ``reason`` (plain words for the record).
    ``segments`` is the number of parts billed or, when the provider does not
    say, our own count. ``cost`` is in the provider's credit unit.
    """

    our_id: str
    provider_id: str | None
    status: DeliveryStatus
    segments: int
    cost: Decimal | None = None
    code: str | None = None
    reason: str | None = None

    @property
    def is_accepted(self) -> bool:
        return self.provider_id is not None and self.status not in (DeliveryStatus.FAILED, DeliveryStatus.BLOCKED)


@dataclass(frozen=True)
class DeliveryReport:
    """The provider's latest word on one sent message (SMS-20).

    Found by ``provider_id`` and, when the provider reports our id back, by
    ``our_id`` too. ``code`` is the provider's raw status code, kept for the
    record; ``at`` is when the status was reached, if the provider says.
    """

    provider_id: str
    status: DeliveryStatus
    code: str | None = None
    reason: str | None = None
    our_id: str | None = None
    at: datetime | None = None


@dataclass(frozen=True)
class InboundSms:
    """A text a customer sent to one of our lines (SMS-02, -04, -21).

    ``sender`` is the customer's number as the provider gave it; ``line`` is
    our number it was sent to, which decides the owning user (SMS-04).
    ``provider_id`` de-duplicates messages fetched twice or pushed again.
    """

    provider_id: str
    sender: str
    line: str
    text: str
    received_at: datetime | None = None


@dataclass(frozen=True)
class Credit:
    """Remaining credit of one provider account (SMS-14).

    ``unit`` names what ``amount`` counts: ``"IRR"`` (Rial), ``"USD"``, or
    ``"credit"`` for providers that sell abstract SMS credit.
    """

    amount: Decimal
    unit: str
