"""The one interface every SMS provider connector implements (SMS-13, -17, -18, -20, -21, -14).

A provider connector is built from its frozen settings model and a
``requests.Session`` the entry point owns; it is synchronous (the bridge calls
it through ``asyncio.to_thread``). It raises only ``connectors.errors``:
``NotSentError`` (safe to resend), ``OutcomeUnknownError`` (call
``find_by_our_id`` or ``fetch_reports`` before resending), ``RateLimitedError``,
``UnavailableError``, ``RejectedError`` (never resend; ``reason`` goes on the
record), ``AuthError`` and ``BadReplyError``. It never retries or sleeps.

One rule for a refused recipient, the same in every provider:

- ``send(sms)`` returns an accepted receipt or raises. A recipient the
  provider refuses (invalid, blacklisted, opted out) raises ``RejectedError``
  with the provider's ``code`` and a plain ``reason``; ``send`` never returns a
  FAILED or BLOCKED receipt (:func:`accepted_or_refused`).
- ``send_many(batch)`` returns one receipt per message, in order. A recipient
  refused inside a call the provider took gets a FAILED or BLOCKED receipt
  with ``code`` and ``reason``; a call the provider refused as a whole raises,
  as ``send`` does.
- A message our own settings cannot send (no sender line configured) raises
  ``RejectedError`` with code ``settings`` before anything goes on the wire
  (:func:`missing_setting`): an admin must act, a resend cannot help.
- ``ValueError`` is only for a caller's bug that no setting fixes: an empty
  or oversized batch, or a batch mixing texts or lines for a provider that
  sends one text per call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from connectors.errors import RejectedError
from domain.sms import Credit, DeliveryReport, InboundSms, OutgoingSms, SendReceipt

WebhookItem = DeliveryReport | InboundSms


@dataclass(frozen=True)
class InboundWindow:
    """The messages a repeatable inbound listing is asked for (SMS-21).

    ``since`` is the newest receive time already stored for the account (the
    high-water mark; ``None`` before the first message), ``until`` the time of
    the poll. A listing returns what was received at or after ``since`` (the
    boundary is included: the caller checks keys for anything at the mark), so
    a poll whose storing failed is simply asked again with the same window.
    ``after_id`` is the provider id of that newest stored message, for a
    listing whose cursor is the message id (Melipayamak): it returns what
    came after that id, so what a failed store left behind is listed again.
    """

    since: datetime | None
    until: datetime
    after_id: str | None = None


class ProviderSettings(BaseModel):
    """Settings every provider shares; each provider extends this with its credentials.

    ``base_url`` is the provider's endpoint (admins override it when a provider
    moves hosts); ``default_sender`` is the line used when a message names
    none (SMS-17). Timeouts are seconds, split as requests does.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    base_url: str
    default_sender: str | None = Field(default=None, min_length=1)
    connect_timeout_s: float = Field(default=5.0, gt=0, le=60)
    read_timeout_s: float = Field(default=30.0, gt=0, le=300)

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout_s, self.read_timeout_s)


@runtime_checkable
class SmsProvider(Protocol):
    """A provider account: send, track, receive and read credit.

    Class attributes: ``kind`` is the registry key; ``settings_model`` the
    settings class it is built from; ``max_batch`` the most messages one
    ``send_many`` call takes; ``accepts_our_id`` says whether the provider
    keeps our id, so ``find_by_our_id`` can reconcile a send whose outcome is
    unknown (DESIGN principle 2); ``inbound_is_repeatable`` says whether
    ``fetch_inbound`` reads a listing that can be asked again for a window
    (True) or a read-once queue that hands out each message only once (False:
    the caller must hold what it fetched until it is stored).
    """

    kind: ClassVar[str]
    settings_model: ClassVar[type[ProviderSettings]]
    max_batch: ClassVar[int]
    accepts_our_id: ClassVar[bool]
    inbound_is_repeatable: ClassVar[bool]

    def send(self, sms: OutgoingSms) -> SendReceipt:
        """Send one message: an accepted receipt, or ``RejectedError`` for a refused recipient (never a failed
        receipt)."""
        ...

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        """Send up to ``max_batch`` messages, each with its own text, in one call where possible.

        Receipts come back in the order of ``batch``; a recipient the provider
        refused inside an accepted call gets a FAILED or BLOCKED receipt.
        """
        ...

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        """Current delivery status of messages by the provider's ids (SMS-20)."""
        ...

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        """Reports for messages the provider knows under our ids; ids it never saw are absent.

        Raises ``RejectedError`` (code ``unsupported``) when the provider keeps no client id.
        """
        ...

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """Inbound messages on the account's lines (SMS-02, -21).

        A repeatable listing returns those received in ``window`` (a recent
        default span when it is ``None``); a read-once queue ignores ``window``
        and returns what it has not handed out before.
        """
        ...

    def balance(self) -> Credit:
        """Remaining credit (SMS-14)."""
        ...

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        """Turn a pushed delivery report or inbound message into values; junk raises ``BadReplyError``."""
        ...


def unsupported(system: str, operation: str, what: str) -> RejectedError:
    """The error for an operation a provider's API does not offer (never retry)."""
    return RejectedError(
        f"{system} does not offer {what}",
        code="unsupported",
        reason=f"{system} does not offer {what}",
        system=system,
        operation=operation,
    )


def accepted_or_refused(receipt: SendReceipt, system: str, operation: str) -> SendReceipt:
    """``receipt`` if the provider took the message; otherwise the ``RejectedError`` ``send`` raises."""
    if receipt.is_accepted:
        return receipt
    reason = receipt.reason or f"{system} refused the recipient (code {receipt.code})"
    raise RejectedError(
        f"{system} refused the recipient: {reason}",
        code=receipt.code or "refused",
        reason=reason,
        system=system,
        operation=operation,
        key=receipt.our_id,
    )


def numeric_id(provider_id: str, system: str, operation: str) -> int:
    """A stored provider message id that must be decimal digits, as an ``int`` (SMS-20).

    Ids come back from Dataverse, where anything may have been written; for anything but digits (``abc``,
    ``²``, ``../x``, thousands of digits) this raises ``RejectedError`` (code ``bad_id``) whose key is that
    id, so a status poll sets that one message apart and asks about the rest.
    """
    text = provider_id.strip() if isinstance(provider_id, str) else ""
    if not (text.isascii() and text.isdigit() and len(text) <= 20):
        reason = f"{str(provider_id)[:40]!r} is not a {system} message id"
        raise RejectedError(reason, code="bad_id", reason=reason, system=system, operation=operation, key=provider_id)
    return int(text)


def missing_setting(system: str, operation: str, what: str, key: str | None = None) -> RejectedError:
    """The error for a message our settings cannot send (never resend until an admin acts)."""
    reason = f"{system} needs {what}: set it on the provider account"
    return RejectedError(reason, code="settings", reason=reason, system=system, operation=operation, key=key)


def check_batch(batch: Sequence[OutgoingSms], max_batch: int) -> None:
    """Refuse an empty batch or one over the provider's limit (a caller bug, not a provider error)."""
    if not batch:
        raise ValueError("send_many needs at least one message")
    if len(batch) > max_batch:
        raise ValueError(f"send_many takes at most {max_batch} messages per call, got {len(batch)}")


__all__ = [
    "InboundWindow",
    "ProviderSettings",
    "SmsProvider",
    "WebhookItem",
    "accepted_or_refused",
    "check_batch",
    "missing_setting",
    "unsupported",
]
