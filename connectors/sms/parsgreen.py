"""Parsgreen SOAP connector (SMS-13, -14, -17, -20).

Wire format: http://login.parsgreen.com/Api/SendSMS.asmx?WSDL. ASMX services ``Api/SendSMS.asmx``
(``SendGroupSMS``, ``GetDelivery``) and ``Api/ProfileService.asmx``
(``GetCredit``), authenticated by the account's ``signature`` GUID inside
every call. The WSDL is a minimal one vendored in ``wsdl/parsgreen.wsdl``
(Parsgreen's own is not public in a form we could vendor); both endpoint
addresses come from settings.

Facts and where they come from (docs/sms-providers.md has the table):
- ``SendGroupSMSResult`` 1 means the call was taken (wp-sms/wp-sms's Parsgreen
  gateway); ``retStr`` carries one entry per recipient as
  ``mobile;sendstatus;reportId``, and Parsgreen's own PHP sample treats
  ``sendstatus`` 0 as sent; ``reportId`` is the id ``GetDelivery`` takes.
- ``GetDelivery`` takes ``RecID`` (the vendor samples' spelling) and answers
  -1 or 40-47: 41 delivered, 42 not delivered; the others are kept raw as
  UNKNOWN (their meanings are not in the samples).
- ``GetCredit`` answers a negative number for an error (-64 in the samples),
  never a negative balance.
- Does NOT accept our id: ``find_by_our_id`` refuses; check the panel before
  resending a send whose outcome is unknown.
- No inbound poll or webhook is wired yet (``MsgService.GetMessage``'s reply
  shape is not documented where we could read it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, ClassVar

import requests

from connectors.errors import AuthError, RejectedError
from connectors.settings import Secret
from connectors.sms._soap import build_client, translating_soap
from connectors.sms._wire import StatusCodes, Wire, decimal
from connectors.sms.base import (
    InboundWindow,
    ProviderSettings,
    WebhookItem,
    accepted_or_refused,
    check_batch,
    numeric_id,
    unsupported,
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

SYSTEM = "parsgreen"
NAMESPACE = "{http://tempuri.org/}"

#: ``sendstatus`` of a recipient Parsgreen took (its PHP sample's success branch).
SENT = "0"
#: ``GetDelivery`` results the vendor samples name; -1 and 40, 43-47 are read but not explained there.
DELIVERY_CODES: dict[int, tuple[DeliveryStatus, str]] = {
    41: (DeliveryStatus.DELIVERED, "delivered to the handset"),
    42: (DeliveryStatus.FAILED, "not delivered to the handset"),
}
#: ``GetCredit`` error codes (negative results); the samples show -64 without words for it.
CREDIT_CODES = StatusCodes("Parsgreen", {}, undocumented="credit error")


class ParsgreenSettings(ProviderSettings):
    """One Parsgreen account: the ``signature`` key and the two ASMX endpoint addresses."""

    base_url: str = "https://login.parsgreen.com/Api/SendSMS.asmx"
    profile_url: str = "https://login.parsgreen.com/Api/ProfileService.asmx"
    signature: Secret


class ParsgreenProvider:
    """SMS through one Parsgreen account; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "parsgreen"
    settings_model: ClassVar[type[ProviderSettings]] = ParsgreenSettings
    max_batch: ClassVar[int] = 100
    accepts_our_id: ClassVar[bool] = False
    inbound_is_repeatable: ClassVar[bool] = False

    def __init__(self, settings: ParsgreenSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.signature.reveal(),))
        client = build_client("parsgreen.wsdl", session, settings.timeout)
        self._array_of_string = client.get_type(f"{NAMESPACE}ArrayOfString")
        self._send_service = client.create_service(f"{NAMESPACE}SendSMSSoap", settings.base_url)
        self._profile_service = client.create_service(f"{NAMESPACE}ProfileServiceSoap", settings.profile_url)

    def send(self, sms: OutgoingSms) -> SendReceipt:
        (receipt,) = self.send_many([sms])
        return accepted_or_refused(receipt, SYSTEM, "SendGroupSMS")

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        """One ``SendGroupSMS`` per call: the whole batch must share one text and one line."""
        check_batch(batch, self.max_batch)
        if len({(sms.text, sms.sender, sms.flash) for sms in batch}) != 1:
            raise ValueError("Parsgreen sends one text from one line per call; split the batch by text")
        first = batch[0]
        key = first.our_id if len(batch) == 1 else None
        sender = first.sender or self._settings.default_sender or ""
        recipients = self._array_of_string([iran_panel_number(sms.to) for sms in batch])
        reply = self._call(
            "SendGroupSMS",
            self._send_service.SendGroupSMS,
            key,
            signature=self._signature(),
            **{"from": sender},
            to=recipients,
            text=first.text,
            isFlash=first.flash,
            udh="",
            success=0,
            retStr=self._array_of_string([]),
        )
        result = self._wire.parse("SendGroupSMS", reply, lambda r: int(r["SendGroupSMSResult"]), key)
        if result != 1:
            self._refuse(result, key)
        entries = self._wire.parse("SendGroupSMS", reply, lambda r: list(r["retStr"]["string"] or []), key)
        if len(entries) != len(batch):
            raise self._wire.bad_reply(
                f"{len(entries)} results for {len(batch)} recipients", str(entries), "SendGroupSMS", key
            )
        return [_receipt(sms, str(entry)) for sms, entry in zip(batch, entries, strict=True)]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        reports = []
        for provider_id in provider_ids:
            code = self._call(
                "GetDelivery",
                self._send_service.GetDelivery,
                None,
                signature=self._signature(),
                RecID=numeric_id(provider_id, SYSTEM, "GetDelivery"),
            )
            code = self._wire.parse("GetDelivery", code, int)
            status, reason = DELIVERY_CODES.get(
                code, (DeliveryStatus.UNKNOWN, f"Parsgreen delivery code {code} (meaning not in the vendor's samples)")
            )
            reports.append(DeliveryReport(provider_id, status, code=str(code), reason=reason))
        return reports

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        raise unsupported(SYSTEM, "find_by_our_id", "look-ups by our own message id")

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        raise unsupported(SYSTEM, "fetch_inbound", "a documented inbound poll")

    def balance(self) -> Credit:
        amount = self._call("GetCredit", self._profile_service.GetCredit, None, signature=self._signature())
        credit = self._wire.parse("GetCredit", amount, decimal)
        if credit < 0:
            raise CREDIT_CODES.error(int(credit), system=SYSTEM, operation="GetCredit", key=None)
        return Credit(credit, "IRR")

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks (poll delivery instead)")

    def _signature(self) -> str:
        return self._settings.signature.reveal()

    def _call(self, operation: str, method: Any, key: str | None, **arguments: Any) -> Any:
        """The translation boundary: one SOAP call through zeep."""
        with translating_soap(self._wire, operation, key):
            return method(**arguments)

    def _refuse(self, result: int, key: str | None) -> None:
        context = {"system": SYSTEM, "operation": "SendGroupSMS", "key": key}
        if result == -1:
            raise AuthError("Parsgreen refused the signature", **context)
        reason = f"Parsgreen refused the send (result {result})"
        raise RejectedError(reason, code=str(result), reason=reason, **context)


def _receipt(sms: OutgoingSms, entry: str) -> SendReceipt:
    """One ``retStr`` entry, ``mobile;sendstatus;reportId``: sent when ``sendstatus`` is 0 with a report id."""
    parts = count_segments(sms.text).parts
    fields = [f.strip() for f in entry.split(";")]
    if len(fields) == 3 and fields[1] == SENT and fields[2].isascii() and fields[2].isdigit() and int(fields[2]) > 0:
        return SendReceipt(sms.our_id, str(int(fields[2])), DeliveryStatus.QUEUED, parts)
    code = fields[1] if len(fields) == 3 else entry
    return SendReceipt(
        sms.our_id,
        None,
        DeliveryStatus.FAILED,
        parts,
        code=code,
        reason=f"Parsgreen did not accept this recipient (sendstatus {code})",
    )
