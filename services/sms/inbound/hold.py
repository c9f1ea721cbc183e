"""The durable inbound hold (SMS-21): read-once messages that could not be stored wait on a Service Bus queue.

A read-once poll (Kavenegar ``sms/receive``, SMS.ir ``receive/latest`` and the
like) hands each message out once. When storing still fails after the
retries, :class:`ServiceBusHold` sends each message with its account key to
the "inbound hold" queue (``COMMS_SMS_INBOUND_HOLD_QUEUE``); the
``sms_inbound_hold`` function stores it from there, keyed as always by
(account key, provider id), so a redelivery never stores it twice. The body
carries the message as the provider gave it to us (parsed into
:class:`InboundSms`); it is never logged.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from connectors.errors import UnavailableError
from domain.sms import InboundSms

#: A held message is one SMS: anything bigger than this is not ours.
MAX_HELD_BYTES = 64 * 1024
HOLD_FORMAT = "comms.inbound-hold/1"
_TEXT_FIELDS = ("provider_id", "sender", "line", "text")


class HoldError(ValueError):
    """A hold queue message that is not a held inbound SMS (it goes to the dead-letter queue)."""


class InboundHold(Protocol):
    """Somewhere durable for fetched messages that could not be stored yet."""

    #: Where the messages go, in words for the log: "the inbound hold queue", "the daemon's inbound hold file ...".
    where: str

    def keep(self, account_key: str, messages: Sequence[InboundSms]) -> None:
        """Keep ``messages``; raises ``UnavailableError`` when they could not be kept (safe to retry)."""
        ...


class QueueSender(Protocol):
    """The part of ``azure.servicebus.ServiceBusSender`` the hold uses."""

    def send_messages(self, message: Any) -> None: ...


class ServiceBusHold:
    """Sends held messages to the inbound hold queue through an injected Service Bus sender."""

    where = "the inbound hold queue"

    def __init__(self, sender: QueueSender):
        self._sender = sender

    def keep(self, account_key: str, messages: Sequence[InboundSms]) -> None:
        from azure.servicebus import ServiceBusMessage
        from azure.servicebus.exceptions import ServiceBusError

        batch = [
            ServiceBusMessage(
                encode_held(account_key, sms),
                content_type="application/json",
                message_id=f"{account_key}/{sms.provider_id}",
            )
            for sms in messages
        ]
        try:
            self._sender.send_messages(batch)
        except (ServiceBusError, OSError) as exc:
            raise UnavailableError(
                f"Service Bus refused the inbound hold ({type(exc).__name__})",
                system="servicebus",
                operation="inbound_hold",
            ) from exc


def encode_held(account_key: str, sms: InboundSms) -> bytes:
    """The hold queue body for one message: the account key and the message's fields, as JSON."""
    message = {name: getattr(sms, name) for name in _TEXT_FIELDS}
    message["received_at"] = sms.received_at.isoformat() if sms.received_at else None
    return json.dumps(
        {"format": HOLD_FORMAT, "account_key": account_key, "message": message}, ensure_ascii=False
    ).encode("utf-8")


def decode_held(body: bytes) -> tuple[str, InboundSms]:
    """``(account key, message)`` from a hold queue body; anything else raises :class:`HoldError`."""
    if len(body) > MAX_HELD_BYTES:
        raise HoldError(f"held message is {len(body)} bytes, more than {MAX_HELD_BYTES}")
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:  # RecursionError: nested too deep
        raise HoldError("held message is not UTF-8 JSON") from exc
    if not isinstance(document, Mapping) or document.get("format") != HOLD_FORMAT:
        raise HoldError(f"held message is not in the {HOLD_FORMAT} format")
    account_key, message = document.get("account_key"), document.get("message")
    if not isinstance(account_key, str) or not account_key.strip() or not isinstance(message, Mapping):
        raise HoldError("held message lacks its account key or message")
    return account_key, _message(message)


def _message(fields: Mapping[str, Any]) -> InboundSms:
    values = {name: fields.get(name) for name in _TEXT_FIELDS}
    if not all(isinstance(v, str) for v in values.values()) or not str(values["provider_id"]).strip():
        raise HoldError("held message lacks a provider id, sender, line or text")
    stamp = fields.get("received_at")
    if stamp is not None and not isinstance(stamp, str):
        raise HoldError("held message's receive time is not text")
    try:
        received = datetime.fromisoformat(stamp) if stamp else None
    except ValueError as exc:
        raise HoldError("held message's receive time is not an ISO time") from exc
    if received is not None and received.tzinfo is None:
        raise HoldError("held message's receive time has no zone")
    return InboundSms(received_at=received, **values)


__all__ = ["HoldError", "InboundHold", "ServiceBusHold", "decode_held", "encode_held"]
