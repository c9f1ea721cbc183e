"""Melipayamak (payamak-panel platform) SOAP connector (SMS-13, -14, -17, -20).

Wire format: http://tempuri.org/. The ASMX service ``post/send.asmx``
(namespace ``http://tempuri.org/``) with ``username`` and ``password`` inside
every call. The WSDL is a minimal one vendored in ``wsdl/melipayamak.wsdl``,
written from the documented operations; the endpoint address comes from
settings. Built once per process: the WSDL is parsed when the connector is
built, never per call.

Quirks (docs/sms-providers.md lists what is UNCONFIRMED):
- Batches of up to 100 recipients sharing one text and line go through
  ``SendSimpleSMS``, which returns one string per recipient: a ``recId``, or
  a return code from the same table as the REST kind
  (:mod:`connectors.sms.melipayamak`). A lone code for a whole batch, or any
  account-level code (credentials, limits, maintenance), fails the call.
- Does NOT accept our id: ``find_by_our_id`` refuses; check the panel before
  resending a send whose outcome is unknown.
- Delivery is polled in one call per batch of ids (``GetDeliveries``).
  Credit is the panel's own credit figure.
- Inbound (SMS-21) is repeatable: ``Receive.asmx`` ``GetMessagesAfterID`` from
  the newest stored id (``receive_url``; :class:`~connectors.sms.melipayamak.MelipayamakInbox`,
  shared with the REST kind).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

import requests
from pydantic import Field

from connectors.errors import AuthError, RateLimitedError, UnavailableError
from connectors.settings import Secret
from connectors.sms._soap import build_client, translating_soap
from connectors.sms._wire import Wire, decimal
from connectors.sms.base import (
    InboundWindow,
    ProviderSettings,
    WebhookItem,
    check_batch,
    missing_setting,
    numeric_id,
    unsupported,
)
from connectors.sms.melipayamak import (
    BLOCKED_CODES,
    RECEIVE_URL,
    SEND_REASONS,
    MelipayamakInbox,
    delivery_report,
    is_return_code,
    send_refusal,
)
from domain.numbers import iran_panel_number
from domain.sms import (
    Credit,
    DeliveryReport,
    DeliveryStatus,
    InboundSms,
    OutgoingSms,
    SendReceipt,
    count_segments,
)

log = logging.getLogger(__name__)

SYSTEM = "melipayamak"
NAMESPACE = "{http://tempuri.org/}"


class MelipayamakSoapSettings(ProviderSettings):
    """One payamak-panel account over SOAP: web-service user, password and the ``send.asmx`` address."""

    base_url: str = "https://api.payamak-panel.com/post/send.asmx"
    username: str
    password: Secret
    receive_url: str = RECEIVE_URL
    inbound_start_id: int = Field(default=0, ge=0)


class MelipayamakSoapProvider:
    """SMS through one payamak-panel account over SOAP; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "melipayamak_soap"
    settings_model: ClassVar[type[ProviderSettings]] = MelipayamakSoapSettings
    max_batch: ClassVar[int] = 100
    accepts_our_id: ClassVar[bool] = False
    inbound_is_repeatable: ClassVar[bool] = True

    def __init__(self, settings: MelipayamakSoapSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.password.reveal(),))
        client = build_client("melipayamak.wsdl", session, settings.timeout)
        self._array_of_string = client.get_type(f"{NAMESPACE}ArrayOfString")
        self._array_of_long = client.get_type(f"{NAMESPACE}ArrayOfLong")
        self._service = client.create_service(f"{NAMESPACE}SendSoap", settings.base_url)
        self._inbox = MelipayamakInbox(
            self._wire, settings.receive_url, settings.username, settings.password, start_id=settings.inbound_start_id
        )

    def send(self, sms: OutgoingSms) -> SendReceipt:
        (receipt,) = self.send_many([sms])
        if not receipt.is_accepted:
            raise send_refusal(int(receipt.code or 0), "SendSimpleSMS", sms.our_id)
        return receipt

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        """One ``SendSimpleSMS`` per call: the whole batch must share one text, one line and one flash flag."""
        check_batch(batch, self.max_batch)
        if len({(sms.text, sms.sender, sms.flash) for sms in batch}) != 1:
            raise ValueError("Melipayamak SOAP sends one text from one line per call; split the batch by text")
        first = batch[0]
        sender = first.sender or self._settings.default_sender
        if not sender:
            raise missing_setting(
                SYSTEM, "SendSimpleSMS", "a line number (default_sender or the message's sender)", first.our_id
            )
        key = first.our_id if len(batch) == 1 else None
        reply = self._call(
            "SendSimpleSMS",
            self._service.SendSimpleSMS,
            key,
            **self._credentials(),
            to=self._array_of_string([iran_panel_number(sms.to) for sms in batch]),
            **{"from": sender},
            text=first.text,
            isflash=first.flash,
        )
        values = self._wire.parse("SendSimpleSMS", reply, lambda r: [int(v) for v in _listed(r)], key)
        self._raise_for_call_failure(values, len(batch), key)
        if len(values) != len(batch):
            raise self._wire.bad_reply(
                f"{len(values)} results for {len(batch)} recipients", str(values), "SendSimpleSMS", key
            )
        return [self._receipt(sms, value, key) for sms, value in zip(batch, values, strict=True)]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        ids = [numeric_id(i, SYSTEM, "fetch_reports") for i in provider_ids]
        reply = self._call(
            "GetDeliveries", self._service.GetDeliveries, None, **self._credentials(), recIds=self._array_of_long(ids)
        )
        codes = self._wire.parse("GetDeliveries", reply, lambda r: [int(c) for c in _listed(r)])
        if len(codes) != len(ids):
            raise self._wire.bad_reply(f"{len(codes)} statuses for {len(ids)} ids", str(codes), "GetDeliveries")
        return [delivery_report(str(i), code) for i, code in zip(ids, codes, strict=True)]

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        raise unsupported(SYSTEM, "find_by_our_id", "look-ups by our own message id")

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """Inbox messages after the window's id mark (``GetMessagesAfterID``); repeatable (SMS-21)."""
        return self._inbox.fetch(window)

    def balance(self) -> Credit:
        amount = self._call("GetCredit", self._service.GetCredit, None, **self._credentials())
        return self._wire.parse("GetCredit", amount, lambda a: Credit(decimal(a), "credit"))

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks (poll delivery instead)")

    def _credentials(self) -> dict[str, str]:
        return {"username": self._settings.username, "password": self._settings.password.reveal()}

    def _call(self, operation: str, method: Any, key: str | None, **arguments: Any) -> Any:
        """The translation boundary: one SOAP call through zeep."""
        with translating_soap(self._wire, operation, key):
            reply = method(**arguments)
        log.debug("melipayamak soap %s ok", operation, extra={"system": SYSTEM, "operation": operation, "key": key})
        return reply

    def _raise_for_call_failure(self, values: list[int], expected: int, key: str | None) -> None:
        """Codes about the account or the service fail the whole call, as does a lone code for a batch."""
        for value in values:
            error = send_refusal(value, "SendSimpleSMS", key) if value in SEND_REASONS else None
            if isinstance(error, (AuthError, RateLimitedError, UnavailableError)):
                raise error
        if expected > 1 and len(values) == 1 and is_return_code(values[0]):
            raise send_refusal(values[0], "SendSimpleSMS", key)

    def _receipt(self, sms: OutgoingSms, value: int, key: str | None) -> SendReceipt:
        parts = count_segments(sms.text).parts
        if not is_return_code(value):
            return SendReceipt(sms.our_id, str(value), DeliveryStatus.QUEUED, parts)
        if value not in SEND_REASONS:
            raise self._wire.bad_reply(
                f"send returned {value}, neither a recId nor a documented code", str(value), "SendSimpleSMS", key
            )
        status = DeliveryStatus.BLOCKED if value in BLOCKED_CODES else DeliveryStatus.FAILED
        return SendReceipt(sms.our_id, None, status, parts, code=str(value), reason=SEND_REASONS[value])


def _listed(reply: Any) -> list[Any]:
    # zeep unwraps an ArrayOf* result into a plain list; anything else is a malformed reply.
    if not isinstance(reply, list):
        raise TypeError(f"expected a list, got {type(reply).__name__}")
    return reply
