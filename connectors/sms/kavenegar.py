"""Kavenegar REST connector (SMS-13, -14, -17, -20, -21).

Wire format: https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.{json|xml} (https://kavenegar.com/rest.html).
Every call
is ``POST https://api.kavenegar.com/v1/{API-KEY}/{scope}/{method}.json`` with a
form body; replies are ``{"return": {"status", "message"}, "entries": ...}``
and errors arrive with the same envelope on a non-200 HTTP status, so the
envelope is read before the HTTP status.

Quirks:
- The API key is a path segment: the URL is never logged and never put into
  an error; transport exceptions are chained through a scrubbed copy.
- Accepts our id: ``localid`` on ``sms/send`` and ``localmessageids`` on
  ``sms/sendarray``, as the number :func:`local_id` derives from it; a
  repeated localid is not sent again. A flash message carries ``type`` 0. ``find_by_our_id``
  uses ``sms/statuslocalmessageid`` (ids from the last ~12 hours only).
- ≤200 receptors per send (414), ≤500 ids per status query; statuses older
  than 48 hours come back as 100 (unknown), not as a failure.
- Inbound polling (``sms/receive`` with ``isread=0``) is read-once: callers
  must store what this returns before processing it. Credit is in Rial.

The status codes are :mod:`connectors.sms._kavenegar_codes`, the webhook
pushes :mod:`connectors.sms._kavenegar_push`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar

import requests
from pydantic import Field

from connectors.errors import ConnectorError
from connectors.settings import Secret
from connectors.sms._kavenegar_codes import STATUS_CODES, SYSTEM, status_report
from connectors.sms._kavenegar_push import (
    is_json,
    is_status_push,
    parse_inbound_push,
    parse_status_push,
    parse_status_push_json,
)
from connectors.sms._wire import Wire, decimal, raise_for_transport_status, rows
from connectors.sms.base import InboundWindow, ProviderSettings, WebhookItem, accepted_or_refused, check_batch
from domain.numbers import e164_from_iran_panel, iran_panel_number
from domain.sms import Credit, DeliveryReport, DeliveryStatus, InboundSms, OutgoingSms, SendReceipt, count_segments

log = logging.getLogger(__name__)

REFUSED = (DeliveryStatus.FAILED, DeliveryStatus.BLOCKED)
#: ``type`` values (the official .NET SDK's ``MessageType``: Flash 0, MobileMemory 1, its default).
FLASH, MOBILE_MEMORY = 0, 1


def local_id(our_id: str) -> str:
    """Our id as the number Kavenegar keeps as ``localid``: the same every time, 1 ≤ n < 2**63.

    The official .NET SDK has typed ``localid`` as a ``long``
    (kavenegar/kavenegar-dotnet:Kavenegar/Models/StatusLocalMessageIdResult.cs),
    so a text id may be refused or mangled; a stable number keeps the duplicate
    check and ``statuslocalmessageid`` working. SHA-256, first 63 bits.
    """
    return str(int.from_bytes(hashlib.sha256(our_id.encode("utf-8")).digest()[:8], "big") >> 1 or 1)


class KavenegarSettings(ProviderSettings):
    """One Kavenegar account. ``inbound_lines`` are the lines polled for inbound SMS."""

    base_url: str = "https://api.kavenegar.com/v1"
    api_key: Secret
    inbound_lines: tuple[str, ...] = Field(default=())


class KavenegarProvider:
    """SMS through one Kavenegar account; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "kavenegar"
    settings_model: ClassVar[type[ProviderSettings]] = KavenegarSettings
    max_batch: ClassVar[int] = 200
    accepts_our_id: ClassVar[bool] = True
    inbound_is_repeatable: ClassVar[bool] = False

    def __init__(self, settings: KavenegarSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.api_key.reveal(),))

    def send(self, sms: OutgoingSms) -> SendReceipt:
        return accepted_or_refused(self.send_many([sms])[0], SYSTEM, "sms/send")

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        check_batch(batch, self.max_batch)
        key = batch[0].our_id if len(batch) == 1 else None
        if len({(sms.text, self._sender(sms), sms.flash) for sms in batch}) == 1:
            first = batch[0]
            form = {
                "receptor": ",".join(iran_panel_number(sms.to) for sms in batch),
                "message": first.text,
                "localid": ",".join(local_id(sms.our_id) for sms in batch),
            }
            sender = self._sender(first)
            if sender:
                form["sender"] = sender
            if first.flash:
                form["type"] = str(FLASH)
            entries = self._call("sms/send", form, key=key)
        else:
            form = {
                "receptor": json.dumps([iran_panel_number(sms.to) for sms in batch]),
                "sender": json.dumps([self._sender(sms) or "" for sms in batch]),
                "message": json.dumps([sms.text for sms in batch], ensure_ascii=False),
                "localmessageids": ",".join(local_id(sms.our_id) for sms in batch),
            }
            if any(sms.flash for sms in batch):
                form["type"] = json.dumps([FLASH if sms.flash else MOBILE_MEMORY for sms in batch])
            entries = self._call("sms/sendarray", form, key=key)
        return self._receipts(batch, entries)

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        entries = self._call("sms/status", {"messageid": ",".join(provider_ids)})
        return self._wire.parse("sms/status", entries, lambda e: [status_report(r) for r in rows(e)])

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        ours = {local_id(our_id): our_id for our_id in our_ids}
        entries = self._call("sms/statuslocalmessageid", {"localid": ",".join(ours)})
        # An unknown localid comes back without a message id: it was never accepted.
        reports = self._wire.parse(
            "sms/statuslocalmessageid",
            entries,
            lambda e: [status_report(r, our_id=ours.get(str(r.get("localid") or ""))) for r in rows(e)],
        )
        return [r for r in reports if r.provider_id not in ("0", "None", "") and r.our_id is not None]

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """Unread inbound SMS, ≤100 per line per call (SMS-21).

        ``sms/receive`` marks what it returns as read, so once one line has
        yielded messages a failure on a later line is logged and left for the
        next poll instead of raising and losing what was already fetched.
        """
        found: list[InboundSms] = []
        for line in self._settings.inbound_lines:
            try:
                entries = self._call("sms/receive", {"linenumber": line, "isread": "0"})
            except ConnectorError as exc:
                if not found:
                    raise
                log.warning(
                    "kavenegar inbound poll of a line failed (%s); retried next poll",
                    type(exc).__name__,
                    extra={"system": SYSTEM, "operation": "sms/receive"},
                )
                break
            found.extend(self._wire.parse("sms/receive", entries, lambda e: [_inbound(r) for r in rows(e)]))
        return found

    def balance(self) -> Credit:
        entries = self._call("account/info", {})
        return self._wire.parse("account/info", entries, lambda e: Credit(decimal(e["remaincredit"]), "IRR"))

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        """An inbound push (has ``from``) or a status callback (``messageid`` and ``status``, no ``from``).

        A status callback may be a form or JSON (one object or a list); ``BadReplyError`` on anything else.
        """
        if is_json(body, content_type):
            return parse_status_push_json(body)
        if is_status_push(body):
            return parse_status_push(body)
        return parse_inbound_push(body)

    def _sender(self, sms: OutgoingSms) -> str | None:
        return sms.sender or self._settings.default_sender

    def _receipts(self, batch: Sequence[OutgoingSms], entries: Any) -> list[SendReceipt]:
        reports = self._wire.parse("send", entries, lambda e: [(status_report(r), _cost(r)) for r in rows(e)])
        if len(reports) != len(batch):
            raise self._wire.bad_reply(f"{len(reports)} entries for {len(batch)} messages", json.dumps(entries), "send")
        return [
            SendReceipt(
                sms.our_id,
                report.provider_id,
                report.status,
                count_segments(sms.text).parts,
                cost=cost,
                code=report.code,
                reason=None if report.status not in REFUSED else report.reason or f"Kavenegar status {report.code}",
            )
            for sms, (report, cost) in zip(batch, reports, strict=True)
        ]

    def _call(self, method: str, form: Mapping[str, str], *, key: str | None = None) -> Any:
        """The translation boundary: one POST, envelope first, then HTTP status."""
        url = f"{self._settings.base_url.rstrip('/')}/{self._settings.api_key.reveal()}/{method}.json"
        response = self._wire.request(
            "POST",
            url,
            operation=method,
            key=key,
            check_status=False,
            data=dict(form),
            headers={"Accept": "application/json"},
        )
        try:
            body = json.loads(response.content)
            code = int(body["return"]["status"])
        except (ValueError, KeyError, TypeError, RecursionError, OverflowError) as exc:  # OverflowError: 1e999
            raise_for_transport_status(response, SYSTEM, method, key)
            raise self._wire.bad_reply("reply is not a Kavenegar envelope", response.content, method, key) from exc
        if code != 200:
            raise STATUS_CODES.error(code, system=SYSTEM, operation=method, key=key)
        log.debug("kavenegar %s ok", method, extra={"system": SYSTEM, "operation": method, "key": key})
        return body.get("entries")


def _cost(entry: Mapping[str, Any]) -> Decimal | None:
    return None if entry.get("cost") is None else decimal(entry["cost"])


def _inbound(entry: Mapping[str, Any]) -> InboundSms:
    stamp = entry.get("date")
    return InboundSms(
        provider_id=str(entry["messageid"]),
        sender=e164_from_iran_panel(str(entry["sender"])),
        line=str(entry["receptor"]),
        text=str(entry.get("message", "")),
        received_at=datetime.fromtimestamp(int(stamp), UTC) if stamp is not None else None,
    )
