"""Ghasedak REST connector, the 2024+ gateway (SMS-13, -14, -17, -20, -21).

Wire format: https://gateway.ghasedak.me/rest/api/v1/WebService/ (https://ghasedak.me/docs) and the
official SDK (ghasedakapi/ghasedaksms-php). JSON over
``https://gateway.ghasedak.me/rest/api/v1/WebService/{op}`` with the key in
the ``ApiKey`` header. Replies are ``{"isSuccess", "statusCode", "message",
"data"}``; the docs print them in PascalCase and the service answers in
camelCase, so every field is read without regard to case.

Quirks:
- Accepts our id as ``clientReferenceId``. Batches go through
  ``SendPairToPairSMS`` (one reference per recipient) rather than
  ``SendBulkSMS`` (one reference for the whole batch).
  ``find_by_our_id`` uses ``CheckSmsStatus`` with ``Type=2``. A reply row
  without the ``clientReferenceId`` echo (the official Python SDK never sends
  one) is matched by position, checked against the row's ``receptor``.
- The new gateway's error table is not published in a form we could read
  (UNCONFIRMED): refusals carry Ghasedak's own ``message`` as the reason and
  ``statusCode`` as the code; 401 is auth, 429 throttling, 5xx provider down.
- Inbound is read per line from the repeatable ``GetReceivedSmsesPaging``
  (``StartDate``/``EndDate`` in Tehran time, no ``IsRead`` filter), not from
  ``GetReceivedSmses`` with ``IsRead=false``, so a poll whose storing failed is
  asked again with the same window (SMS-21). Credit is in Rial. No webhooks.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests
from pydantic import Field

from connectors.errors import AuthError
from connectors.settings import Secret
from connectors.sms._wire import (
    StatusCodes,
    Wire,
    ci_get,
    ci_require,
    decimal,
    raise_for_transport_status,
    rows,
)
from connectors.sms.base import (
    InboundWindow,
    ProviderSettings,
    WebhookItem,
    accepted_or_refused,
    check_batch,
    missing_setting,
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

SYSTEM = "ghasedak"
TEHRAN = ZoneInfo("Asia/Tehran")
INBOUND_PAGE_SIZE = 100
#: At most this many pages per line and poll, whatever ``hasNextPage`` says.
MAX_INBOUND_PAGES = 20
#: How far back a listing reaches when nothing is stored yet (or no window is given).
FIRST_POLL_LOOKBACK = timedelta(days=1)

#: Message ``status`` values (ghasedak_sms_python SendStatus enum, https://gateway.ghasedak.me/rest/api/v1/WebService/).
DELIVERY_STATUSES: dict[int, tuple[DeliveryStatus, str]] = {
    0: (DeliveryStatus.QUEUED, "waiting for confirmation"),
    1: (DeliveryStatus.FAILED, "rejected"),
    2: (DeliveryStatus.QUEUED, "to be sent"),
    3: (DeliveryStatus.QUEUED, "sending"),
    4: (DeliveryStatus.SENT_TO_OPERATOR, "sent"),
    5: (DeliveryStatus.UNKNOWN, "debug mode: not really sent"),
    6: (DeliveryStatus.FAILED, "failed inside Ghasedak"),
    7: (DeliveryStatus.FAILED, "cancelled"),
    8: (DeliveryStatus.BLOCKED, "on Ghasedak's blacklist"),
    9: (DeliveryStatus.QUEUED, "paused"),
    10: (DeliveryStatus.SENT_TO_OPERATOR, "sent to the operator"),
    11: (DeliveryStatus.SENT_TO_OPERATOR, "accepted by the operator"),
    12: (DeliveryStatus.BLOCKED, "on the operator's blacklist"),
    13: (DeliveryStatus.FAILED, "not delivered to the handset"),
    14: (DeliveryStatus.DELIVERED, "delivered"),
    15: (DeliveryStatus.BLOCKED, "blocked"),
    16: (DeliveryStatus.FAILED, "failed"),
    17: (DeliveryStatus.QUEUED, "processing"),
}
BY_MESSAGE_ID, BY_CLIENT_REFERENCE = 1, 2
#: ``statusCode`` follows HTTP; Ghasedak's ``message`` gives the reason, so no table of words.
STATUS_CODES = StatusCodes(
    "Ghasedak", {}, auth=frozenset({401, 403}), throttle=frozenset({429}), down=range(500, sys.maxsize)
)


class GhasedakSettings(ProviderSettings):
    """One Ghasedak account. ``inbound_lines`` are the lines polled for inbound SMS."""

    base_url: str = "https://gateway.ghasedak.me/rest/api/v1/WebService"
    api_key: Secret
    inbound_lines: tuple[str, ...] = Field(default=())


class GhasedakProvider:
    """SMS through one Ghasedak account; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "ghasedak"
    settings_model: ClassVar[type[ProviderSettings]] = GhasedakSettings
    max_batch: ClassVar[int] = 100
    accepts_our_id: ClassVar[bool] = True
    inbound_is_repeatable: ClassVar[bool] = True

    def __init__(self, settings: GhasedakSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.api_key.reveal(),))

    def send(self, sms: OutgoingSms) -> SendReceipt:
        return accepted_or_refused(self.send_many([sms])[0], SYSTEM, "SendSingleSMS")

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        check_batch(batch, self.max_batch)
        items = [self._item(sms) for sms in batch]
        if len(batch) == 1:
            data = self._call("POST", "SendSingleSMS", json={**items[0], "udh": False}, key=batch[0].our_id)
            sent = self._wire.parse("SendSingleSMS", data, rows)
        else:
            data = self._call("POST", "SendPairToPairSMS", json={"items": items, "udh": False})
            sent = self._wire.parse("SendPairToPairSMS", data, lambda d: rows(ci_require(d, "items")))
        rows_in_order = self._wire.parse("send", sent, lambda r: _match_rows(batch, r))
        receipts = []
        for sms, row in zip(batch, rows_in_order, strict=True):
            if row is None:
                raise self._wire.bad_reply(f"no result for one of {len(batch)} messages", json.dumps(data), "send")
            message_id = self._wire.parse("send", row, lambda r: str(int(ci_require(r, "messageId"))))
            cost = ci_get(row, "cost")
            receipts.append(
                SendReceipt(
                    sms.our_id,
                    message_id,
                    DeliveryStatus.QUEUED,
                    count_segments(sms.text).parts,
                    cost=None if cost is None else self._wire.parse("send", cost, decimal),
                )
            )
        return receipts

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        return self._status(provider_ids, BY_MESSAGE_ID)

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        return self._status(our_ids, BY_CLIENT_REFERENCE)

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """Inbound SMS on each configured line received in ``window``; repeatable (SMS-21).

        Without a window (or a mark) the listing reaches back a day; with no
        window the end is the newest the provider has.
        """
        since = window.since if window and window.since else None
        found: list[InboundSms] = []
        for line in self._settings.inbound_lines:
            found.extend(self._received(line, window))
        return [m for m in found if since is None or m.received_at is None or m.received_at >= since]

    def _received(self, line: str, window: InboundWindow | None) -> list[InboundSms]:
        """Every page of ``GetReceivedSmsesPaging`` for one line, up to the page cap."""
        until = window.until if window else None
        start = window.since if window and window.since else (until or datetime.now(TEHRAN)) - FIRST_POLL_LOOKBACK
        params: dict[str, Any] = {"LineNumber": line, "StartDate": _tehran(start), "PageSize": INBOUND_PAGE_SIZE}
        if until is not None:
            params["EndDate"] = _tehran(until)
        found: dict[str, InboundSms] = {}
        for index in range(MAX_INBOUND_PAGES):
            data = self._call("GET", "GetReceivedSmsesPaging", params={**params, "PageIndex": index})
            page, more = self._wire.parse("GetReceivedSmsesPaging", data, _inbound_page)
            fresh = [m for m in page if m.provider_id not in found]
            found.update((m.provider_id, m) for m in fresh)
            if not more or not fresh:
                return list(found.values())
        log.warning(
            "Ghasedak inbound listing still had pages after %d; the rest is read on the next poll",
            MAX_INBOUND_PAGES,
            extra={"system": SYSTEM, "operation": "GetReceivedSmsesPaging"},
        )
        return list(found.values())

    def balance(self) -> Credit:
        data = self._call("GET", "GetAccountInformation")
        return self._wire.parse(
            "GetAccountInformation", data, lambda d: Credit(decimal(ci_require(d, "credit")), "IRR")
        )

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks (poll delivery and inbound instead)")

    def _item(self, sms: OutgoingSms) -> dict[str, Any]:
        line = sms.sender or self._settings.default_sender
        if not line:
            raise missing_setting(SYSTEM, "send", "a line number (default_sender or the message's sender)", sms.our_id)
        return {
            "lineNumber": line,
            "receptor": iran_panel_number(sms.to),
            "message": sms.text,
            "clientReferenceId": sms.our_id,
        }

    def _status(self, ids: Sequence[str], id_type: int) -> list[DeliveryReport]:
        data = self._call("GET", "CheckSmsStatus", params={"Ids": ",".join(ids), "Type": id_type})
        return self._wire.parse("CheckSmsStatus", data, lambda d: [_report(r) for r in rows(d)])

    def _call(self, method: str, operation: str, *, key: str | None = None, **kwargs: Any) -> Any:
        """The translation boundary: one request, then the HTTP status and the ``isSuccess`` envelope."""
        headers = {"ApiKey": self._settings.api_key.reveal(), "Accept": "application/json"}
        url = f"{self._settings.base_url.rstrip('/')}/{operation}"
        response = self._wire.request(
            method, url, operation=operation, key=key, check_status=False, headers=headers, **kwargs
        )
        context = {"system": SYSTEM, "operation": operation, "key": key}
        if response.status_code in (401, 403):
            raise AuthError(f"Ghasedak refused the API key (HTTP {response.status_code})", **context)
        raise_for_transport_status(response, SYSTEM, operation, key)
        body = self._wire.json(response, operation, key)
        ok, code, message = self._wire.parse(operation, body, _envelope, key)
        if not ok:
            reason = message or f"Ghasedak refused the request (status {code})"
            raise STATUS_CODES.error(code, system=SYSTEM, operation=operation, key=key, reason=reason)
        data = ci_get(body, "data")
        if data is None:
            raise self._wire.bad_reply("successful reply without data", response.content, operation, key)
        return data


def _match_rows(batch: Sequence[OutgoingSms], sent: list[Mapping[str, Any]]) -> list[Mapping[str, Any] | None]:
    """The reply row for each message: by the ``clientReferenceId`` echo, else by position.

    The official Python SDK never sends ``clientReferenceId`` (ghasedakapi/ghasedak_sms_python),
    so a reply need not echo it; a row without the echo is matched to the message at its
    position, provided the reply has one row per message and the row names that message's number.
    """
    by_reference = {str(ref): row for row in sent if (ref := ci_get(row, "clientReferenceId"))}
    matched: list[Mapping[str, Any] | None] = [by_reference.get(sms.our_id) for sms in batch]
    if len(sent) != len(batch):
        return matched
    for index, (sms, row) in enumerate(zip(batch, sent, strict=True)):
        if matched[index] is None and not ci_get(row, "clientReferenceId"):
            receptor = ci_get(row, "receptor")
            if receptor is not None and str(receptor) != iran_panel_number(sms.to):
                raise ValueError(f"the reply's row {index} is for another number")
            matched[index] = row
    return matched


def _envelope(body: Mapping[str, Any]) -> tuple[bool, int, str | None]:
    ok = ci_get(body, "isSuccess")
    if not isinstance(ok, bool):
        raise TypeError("isSuccess is missing or not a boolean")
    code = ci_get(body, "statusCode")
    return ok, int(code) if code is not None else (200 if ok else 400), ci_get(body, "message")


def _report(row: Mapping[str, Any]) -> DeliveryReport:
    code = int(ci_require(row, "status"))
    status, reason = DELIVERY_STATUSES.get(code, (DeliveryStatus.UNKNOWN, f"undocumented status {code}"))
    reference = ci_get(row, "clientReferenceId")
    return DeliveryReport(
        provider_id=str(int(ci_require(row, "messageId"))),
        status=status,
        code=str(code),
        reason=reason,
        our_id=str(reference) if reference else None,
    )


def _tehran(moment: datetime) -> str:
    """A query time as the SDKs send it: ``yyyy-MM-ddTHH:mm:ss``, here in Tehran time (UNCONFIRMED zone)."""
    return moment.astimezone(TEHRAN).strftime("%Y-%m-%dT%H:%M:%S")


def _inbound_page(data: Any) -> tuple[list[InboundSms], bool]:
    """The messages of one ``GetReceivedSmsesPaging`` page and whether ``hasNextPage`` says more follow."""
    if not isinstance(data, Mapping):
        raise TypeError("page is not an object")
    more = ci_get(data, "hasNextPage", False)
    if not isinstance(more, bool):
        raise TypeError("hasNextPage is not a boolean")
    return [_inbound(r) for r in rows(ci_require(data, "items"))], more


def _inbound(row: Mapping[str, Any]) -> InboundSms:
    received = ci_get(row, "receiveDate")
    stamp = datetime.fromisoformat(received) if received else None
    return InboundSms(
        provider_id=str(ci_require(row, "id")),
        sender=e164_from_iran_panel(str(ci_require(row, "sender"))),
        line=str(ci_require(row, "lineNumber")),
        text=str(ci_require(row, "message")),
        received_at=stamp.replace(tzinfo=TEHRAN) if stamp and stamp.tzinfo is None else stamp,
    )
