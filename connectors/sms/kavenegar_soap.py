"""Kavenegar SOAP connector (SMS-13, -14, -17, -20, -21).

Wire format: https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.{json|xml} (https://kavenegar.com/soap.html). The
ASMX
service ``soap/v1.asmx`` in namespace ``http://api.kavenegar.com/``, with the
API key inside every call (never in the URL). The WSDL is Kavenegar's
published one, vendored in ``wsdl/kavenegar.wsdl`` and trimmed to the four
operations used here; the endpoint address comes from settings and the
client is built once, when the connector is.

Every operation has by-reference ``status`` / ``statusmessage`` parameters:
the HTTP status is always 200 and only ``status`` == 200 means success; the
other values are the REST service's code table
(:data:`connectors.sms._kavenegar_codes.STATUS_REASONS`), mapped the same way.

Quirks (docs/sms-providers.md lists what is UNCONFIRMED):
- Batches go through ``SendArrayByApikey`` (a sender, text and mode per
  recipient, ≤200), which returns one message id per recipient.
- Does NOT accept our id over SOAP: only ``SendAdvance`` takes a
  ``clientmessageid`` and no SOAP operation looks messages up by it, so
  ``find_by_our_id`` refuses; use the REST kind where reconciliation matters.
- ``ReceiveByApikey`` with ``isread=0`` is read-once, as over REST: store
  what ``fetch_inbound`` returns before acting on it. Credit is in Rial.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, ClassVar

import requests
from pydantic import Field

from connectors.errors import ConnectorError
from connectors.settings import Secret
from connectors.sms._kavenegar_codes import DELIVERY_STATUSES, STATUS_CODES
from connectors.sms._soap import build_client, translating_soap
from connectors.sms._wire import Wire, decimal
from connectors.sms.base import (
    InboundWindow,
    ProviderSettings,
    WebhookItem,
    accepted_or_refused,
    check_batch,
    missing_setting,
    numeric_id,
    unsupported,
)
from domain.numbers import e164_from_iran_panel, iran_panel_number
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

SYSTEM = "kavenegar"
NAMESPACE = "{http://api.kavenegar.com/}"
STATUS_CHUNK = 500
NORMAL, FLASH = 1, 0  # msgmode: 1 stores the message on the phone, 0 shows it as flash


class KavenegarSoapSettings(ProviderSettings):
    """One Kavenegar account over SOAP. ``inbound_lines`` are the lines polled for inbound SMS."""

    base_url: str = "https://api.kavenegar.com/soap/v1.asmx"
    api_key: Secret
    inbound_lines: tuple[str, ...] = Field(default=())


class KavenegarSoapProvider:
    """SMS through one Kavenegar account over SOAP; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "kavenegar_soap"
    settings_model: ClassVar[type[ProviderSettings]] = KavenegarSoapSettings
    max_batch: ClassVar[int] = 200
    accepts_our_id: ClassVar[bool] = False
    inbound_is_repeatable: ClassVar[bool] = False

    def __init__(self, settings: KavenegarSoapSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.api_key.reveal(),))
        client = build_client("kavenegar.wsdl", session, settings.timeout)
        self._strings = client.get_type(f"{NAMESPACE}ArrayOfString")
        self._ints = client.get_type(f"{NAMESPACE}ArrayOfInt")
        self._longs = client.get_type(f"{NAMESPACE}ArrayOfLong")
        self._service = client.create_service(f"{NAMESPACE}v1Soap", settings.base_url)

    def send(self, sms: OutgoingSms) -> SendReceipt:
        (receipt,) = self.send_many([sms])
        return accepted_or_refused(receipt, SYSTEM, "SendArrayByApikey")

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        """One ``SendArrayByApikey`` call; each message keeps its own text, line and flash flag."""
        check_batch(batch, self.max_batch)
        senders = [sms.sender or self._settings.default_sender for sms in batch]
        if not all(senders):
            raise missing_setting(
                SYSTEM, "SendArrayByApikey", "a line number (default_sender or the message's sender)", batch[0].our_id
            )
        key = batch[0].our_id if len(batch) == 1 else None
        reply = self._call(
            "SendArrayByApikey",
            self._service.SendArrayByApikey,
            key,
            sender=self._strings(senders),
            message=self._strings([sms.text for sms in batch]),
            receptor=self._strings([iran_panel_number(sms.to) for sms in batch]),
            unixdate=0,
            msgmode=self._ints([FLASH if sms.flash else NORMAL for sms in batch]),
        )
        ids = self._wire.parse("SendArrayByApikey", reply, lambda r: _ints(r, "SendArrayByApikeyResult", "long"), key)
        if len(ids) != len(batch):
            raise self._wire.bad_reply(
                f"{len(ids)} message ids for {len(batch)} messages", str(ids), "SendArrayByApikey", key
            )
        return [_receipt(sms, message_id) for sms, message_id in zip(batch, ids, strict=True)]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        reports: list[DeliveryReport] = []
        for start in range(0, len(provider_ids), STATUS_CHUNK):
            ids = [numeric_id(i, SYSTEM, "fetch_reports") for i in provider_ids[start : start + STATUS_CHUNK]]
            reply = self._call("GetStatusByApikey", self._service.GetStatusByApikey, None, messageid=self._longs(ids))
            codes = self._wire.parse("GetStatusByApikey", reply, lambda r: _ints(r, "GetStatusByApikeyResult", "int"))
            if len(codes) != len(ids):
                raise self._wire.bad_reply(f"{len(codes)} statuses for {len(ids)} ids", str(codes), "GetStatusByApikey")
            reports.extend(
                DeliveryReport(str(i), DELIVERY_STATUSES.get(code, DeliveryStatus.UNKNOWN), code=str(code))
                for i, code in zip(ids, codes, strict=True)
            )
        return reports

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        raise unsupported(SYSTEM, "find_by_our_id", "look-ups by our own message id over SOAP")

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """Unread inbound SMS per configured line (read-once); a failure after some lines keeps what was fetched."""
        found: list[InboundSms] = []
        for line in self._settings.inbound_lines:
            try:
                reply = self._call("ReceiveByApikey", self._service.ReceiveByApikey, None, lineNumber=line, isread=0)
            except ConnectorError as exc:
                if not found:
                    raise
                log.warning(
                    "kavenegar soap inbound poll of a line failed (%s); retried next poll",
                    type(exc).__name__,
                    extra={"system": SYSTEM, "operation": "ReceiveByApikey"},
                )
                break
            found.extend(self._wire.parse("ReceiveByApikey", reply, _inbound_rows))
        return found

    def balance(self) -> Credit:
        reply = self._call("RemainCreditByApiKey", self._service.RemainCreditByApiKey, None)
        return self._wire.parse(
            "RemainCreditByApiKey", reply, lambda r: Credit(decimal(r["RemainCreditByApiKeyResult"]), "IRR")
        )

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks over SOAP (use the REST kind's push parser)")

    def _call(self, operation: str, method: Any, key: str | None, **arguments: Any) -> Any:
        """The translation boundary: one SOAP call, then the by-reference ``status`` (HTTP is always 200)."""
        with translating_soap(self._wire, operation, key):
            reply = method(apikey=self._settings.api_key.reveal(), status=0, statusmessage="", **arguments)
        status = self._wire.parse(operation, reply, lambda r: int(r["status"]), key)
        if status != 200:
            raise STATUS_CODES.error(status, system=SYSTEM, operation=operation, key=key)
        log.debug("kavenegar soap %s ok", operation, extra={"system": SYSTEM, "operation": operation, "key": key})
        return reply


def _array(reply: Any, result: str, item: str) -> list[Any]:
    # A missing or empty result array means "no items"; zeep yields None for both.
    wrapper = reply[result]
    return [] if wrapper is None else list(wrapper[item] or [])


def _ints(reply: Any, result: str, item: str) -> list[int]:
    return [int(value) for value in _array(reply, result, item)]


def _inbound_rows(reply: Any) -> list[InboundSms]:
    return [_inbound(row) for row in _array(reply, "ReceiveByApikeyResult", "ApiReceive")]


def _receipt(sms: OutgoingSms, message_id: int) -> SendReceipt:
    parts = count_segments(sms.text).parts
    if message_id <= 0:
        return SendReceipt(
            sms.our_id,
            None,
            DeliveryStatus.FAILED,
            parts,
            code=str(message_id),
            reason="Kavenegar returned no message id for this recipient",
        )
    return SendReceipt(sms.our_id, str(message_id), DeliveryStatus.QUEUED, parts)


def _inbound(row: Any) -> InboundSms:
    sender, line, stamp = row["sender"], row["receptor"], row["date"]
    if not sender or not line:
        raise KeyError("sender or receptor")
    return InboundSms(
        provider_id=str(int(row["messageid"])),
        sender=e164_from_iran_panel(str(sender)),
        line=str(line),
        text=str(row["message"] or ""),
        received_at=datetime.fromtimestamp(int(stamp), UTC) if stamp else None,
    )
