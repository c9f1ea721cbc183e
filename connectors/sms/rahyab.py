"""Rahyab "CPAS" XML-over-HTTP connector (SMS-13, -14, -17, -20, -21).

Wire format: Yellowen/rahyab:lib/rahyab.rb, family 1, as two independent clients speak
it (the ``Yellowen/rahyab`` gem and ``mrhmh/sms-rahyab``): XML documents
POSTed to the account's ``…/CPSMSService/Access`` address with HTTP Basic
auth. Rahyab runs this gateway per customer, so there is no default address:
``base_url`` must be set. (Rahyab's other families - the ``sms.asmx`` SOAP
service and lines resold on the payamak-panel platform, which the
``melipayamak`` kinds already speak - are not this module.)

Documents: ``smsBatch`` (send), ``smsStatusPoll`` (delivery), ``smsPoll``
(inbound), ``getUserBalance`` (credit). A send is accepted when the reply's
``<ok>`` says ``CHECK_OK``; otherwise the reply's ``<message>`` says why.

Quirks (docs/sms-providers.md lists what is UNCONFIRMED):
- Accepts our id: the client chooses ``batchID``; we send ``{company}+{our
  id}``, one message per batch (``max_batch`` 1), and use it as the provider
  id, so ``find_by_our_id`` polls the same batch.
- Persian (any non-GSM-7) text travels as hex UTF-16 with ``dcs="8"`` and
  ``binary="true"``; GSM-7 text as is with ``dcs="0"``. Inbound messages come
  back the same way.
- Refusal texts are not documented as codes: a refused send raises
  ``RejectedError`` carrying Rahyab's own text. HTTP 401 is a bad login.
- Inbound (``smsPoll``) is treated as read-once: store before acting.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import ClassVar
from zoneinfo import ZoneInfo

import requests
from lxml import etree

from connectors.errors import AuthError, BadReplyError, RejectedError
from connectors.settings import Secret
from connectors.sms._wire import Wire, decimal, raise_for_transport_status
from connectors.sms.base import (
    InboundWindow,
    ProviderSettings,
    WebhookItem,
    check_batch,
    missing_setting,
    unsupported,
)
from domain.numbers import e164_from_iran_panel
from domain.sms import (
    Credit,
    DeliveryReport,
    DeliveryStatus,
    Encoding,
    InboundSms,
    OutgoingSms,
    SendReceipt,
    count_segments,
)

log = logging.getLogger(__name__)

SYSTEM = "rahyab"
TEHRAN = ZoneInfo("Asia/Tehran")
DOCTYPE = '<!DOCTYPE {root} PUBLIC "-//PERVASIVE//DTD CPAS 1.0//EN" "http://www.ubicomp.ir/dtd/Cpas.dtd">'
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)

#: ``smsStatusPoll`` statuses seen in client code; anything else is UNKNOWN with the raw text kept.
DELIVERY_STATUSES: dict[str, tuple[DeliveryStatus, str]] = {
    "CHECK_OK": (DeliveryStatus.QUEUED, "accepted by Rahyab"),
    "PENDING": (DeliveryStatus.SENT_TO_OPERATOR, "waiting for the operator's report"),
    "MT_DELIVERED": (DeliveryStatus.DELIVERED, "delivered to the handset"),
    "CHECK_ERROR": (DeliveryStatus.FAILED, "Rahyab could not send it"),
    "SMS_FAILED": (DeliveryStatus.FAILED, "the operator could not deliver it"),
    "FAILED": (DeliveryStatus.FAILED, "not delivered"),
    "GW-FAILED": (DeliveryStatus.FAILED, "the gateway refused it"),
}


class RahyabSettings(ProviderSettings):
    """One Rahyab CPAS account: the gateway address, Basic-auth login and the ``company`` name."""

    username: str
    password: Secret
    company: str


class RahyabProvider:
    """SMS through one Rahyab CPAS account; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "rahyab"
    settings_model: ClassVar[type[ProviderSettings]] = RahyabSettings
    max_batch: ClassVar[int] = 1
    accepts_our_id: ClassVar[bool] = True
    inbound_is_repeatable: ClassVar[bool] = False

    def __init__(self, settings: RahyabSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.password.reveal(),))

    def send(self, sms: OutgoingSms) -> SendReceipt:
        sender = sms.sender or self._settings.default_sender
        if not sender:
            raise missing_setting(
                SYSTEM, "smsBatch", "a line number (default_sender or the message's sender)", sms.our_id
            )
        batch_id = self._batch_id(sms.our_id)
        root = etree.Element("smsBatch", company=self._settings.company, batchID=batch_id)
        with self._wire.translating("smsBatch", sms.our_id):  # a lone surrogate cannot become UTF-16 hex
            binary, dcs, payload = encode_text(sms.text)
        message = etree.SubElement(root, "sms", msgClass="0" if sms.flash else "1", binary=binary, dcs=dcs)
        for tag, value in (("destAddr", sms.to), ("origAddr", sender), ("message", payload)):
            etree.SubElement(message, tag).text = etree.CDATA(value)
        reply = self._call("smsBatch", root, key=sms.our_id)
        outcome = _first_text(reply, "ok")
        if outcome is not None and "CHECK_OK" in outcome:
            return SendReceipt(sms.our_id, batch_id, DeliveryStatus.QUEUED, count_segments(sms.text).parts)
        reason = (_first_text(reply, "message") or outcome or "").strip()
        if not reason:
            raise self._wire.bad_reply(
                "send reply has neither <ok> nor <message>", etree.tostring(reply), "smsBatch", sms.our_id
            )
        reason = self._wire.scrub(reason)
        raise RejectedError(
            f"Rahyab refused the message: {reason}",
            code="refused",
            reason=reason,
            system=SYSTEM,
            operation="smsBatch",
            key=sms.our_id,
        )

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        check_batch(batch, self.max_batch)
        return [self.send(batch[0])]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        reports = []
        for batch_id in provider_ids:
            report = self._poll_status(batch_id, None)
            if report is None:
                raise self._wire.bad_reply("status reply does not mention the batch", batch_id, "smsStatusPoll")
            reports.append(report)
        return reports

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        """Reports for batches Rahyab knows under ``{company}+{our id}``; batches it never saw are absent."""
        found = (self._poll_status(self._batch_id(our_id), our_id) for our_id in our_ids)
        return [report for report in found if report is not None]

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """New inbound messages (``smsPoll``); store them before acting (treated as read-once)."""
        reply = self._call("smsPoll", etree.Element("smsPoll", company=self._settings.company))
        return parse_inbound(reply)

    def balance(self) -> Credit:
        reply = self._call("getUserBalance", etree.Element("getUserBalance", company=self._settings.company))
        return self._wire.parse("getUserBalance", reply, lambda r: Credit(_balance(r), "credit"))

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks (poll delivery and inbound instead)")

    def _batch_id(self, our_id: str) -> str:
        return f"{self._settings.company}+{our_id}"

    def _poll_status(self, batch_id: str, our_id: str | None) -> DeliveryReport | None:
        root = etree.Element("smsStatusPoll", company=self._settings.company)
        etree.SubElement(root, "batch", batchID=batch_id)
        reply = self._call("smsStatusPoll", root, key=our_id)
        return parse_status(reply, batch_id, our_id)

    def _call(self, operation: str, document: etree._Element, *, key: str | None = None) -> etree._Element:
        """The translation boundary: one XML POST with Basic auth; returns the parsed reply."""
        doctype = DOCTYPE.format(root=document.tag)
        body = etree.tostring(document, xml_declaration=True, encoding="UTF-8", doctype=doctype)
        response = self._wire.request(
            "POST",
            self._settings.base_url,
            operation=operation,
            key=key,
            check_status=False,
            data=body,
            auth=(self._settings.username, self._settings.password.reveal()),
            headers={"Content-Type": "text/xml; charset=utf-8"},
        )
        if response.status_code in (401, 403):
            raise AuthError(
                f"Rahyab refused the login (HTTP {response.status_code})", system=SYSTEM, operation=operation, key=key
            )
        raise_for_transport_status(response, SYSTEM, operation, key)
        try:
            reply = etree.fromstring(response.content, parser=_SAFE_PARSER)
        except (etree.XMLSyntaxError, ValueError) as exc:
            raise self._wire.bad_reply("reply is not XML", response.content, operation, key) from exc
        if response.status_code >= 400:
            raise self._wire.bad_reply(f"HTTP {response.status_code}", response.content, operation, key)
        log.debug("rahyab %s answered", operation, extra={"system": SYSTEM, "operation": operation, "key": key})
        return reply


def encode_text(text: str) -> tuple[str, str, str]:
    """``(binary, dcs, payload)`` for a message: GSM-7 text as is, anything else as hex UTF-16 (dcs 8)."""
    if count_segments(text).encoding is Encoding.GSM7 and "]]>" not in text:
        return "false", "0", text
    return "true", "8", text.encode("utf-16-be").hex()


def decode_text(payload: str, dcs: str | None) -> str:
    """The inverse of :func:`encode_text`; ``ValueError`` on hex that is not UTF-16."""
    if (dcs or "").strip() in ("", "0"):
        return payload
    return bytes.fromhex(payload.strip()).decode("utf-16-be")


def parse_status(reply: etree._Element, batch_id: str, our_id: str | None = None) -> DeliveryReport | None:
    """The report for ``batch_id`` in an ``smsStatusPollResponse``; ``None`` when the reply does not mention it.

    Raises ``BadReplyError`` when the batch is there without a status.
    """
    batch = next((b for b in reply.iter("batch") if b.get("batchID") == batch_id), None)
    if batch is None:
        return None
    text = (batch.findtext(".//status") or "").strip()
    if not text:
        raise BadReplyError(
            "batch without a status", raw=etree.tostring(batch), system=SYSTEM, operation="smsStatusPoll"
        )
    status, reason = DELIVERY_STATUSES.get(text.upper(), (DeliveryStatus.UNKNOWN, f"Rahyab status {text}"))
    return DeliveryReport(batch_id, status, code=text, reason=reason, our_id=our_id)


def parse_inbound(reply: etree._Element) -> list[InboundSms]:
    """Inbound messages from an ``smsPoll`` reply (one ``<batch>`` each); junk raises ``BadReplyError``."""
    messages = []
    for batch in reply.iter("batch"):
        try:
            messages.append(_inbound(batch))
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            raise BadReplyError(
                f"unreadable inbound message ({type(exc).__name__})",
                raw=etree.tostring(batch),
                system=SYSTEM,
                operation="smsPoll",
            ) from exc
    return messages


def _first_text(reply: etree._Element, tag: str) -> str | None:
    """The text of the reply itself when it is ``<tag>``, else of its first ``<tag>`` descendant."""
    return reply.text if reply.tag == tag else reply.findtext(f".//{tag}")


def _inbound(batch: etree._Element) -> InboundSms:
    provider_id = batch.get("batchID")
    sender = (batch.findtext(".//origAddr") or "").strip()
    text = batch.findtext(".//message")
    if not provider_id or not sender or text is None:
        raise KeyError("batchID, origAddr or message")
    return InboundSms(
        provider_id,
        e164_from_iran_panel(sender),
        (batch.findtext(".//destNumber") or "").strip(),
        decode_text(text, batch.findtext(".//dcs")),
        _stamp(batch.findtext(".//time")),
    )


def _stamp(value: str | None) -> datetime | None:
    text = (value or "").strip()
    if not text:
        return None
    stamp = datetime.fromisoformat(text.replace("/", "-"))
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=TEHRAN)


def _balance(reply: etree._Element) -> Decimal:
    node = reply if reply.tag == "userBalance" else reply.find(".//userBalance")
    if node is None:
        raise KeyError("userBalance")
    return decimal((node.text or "").strip())
