"""SMS.ir REST v1 connector (SMS-13, -14, -17, -20, -21).

Wire format: https://sms.ir/rest-api/ (https://sms.ir/rest-api/). JSON over
``https://api.sms.ir/v1`` with the key in the ``X-API-KEY`` header. Replies
are ``{"status", "message", "data"}``; HTTP 200 is not enough, ``status`` must
be 1. HTTP 401 is a bad key, 429 throttling, 400 a logical error whose
``status`` says which.

Quirks:
- Does NOT accept our id: a send whose outcome is unknown cannot be looked
  up by our id (``find_by_our_id`` refuses); the sender must check the panel
  or the outbox archive before resending.
- ≤100 mobiles per call. ``send/bulk`` for one text, ``send/likeToLike`` for
  a text per recipient. ``data.messageIds`` is positional; an element of 0
  means the number is blacklisted, ``null`` that the number or text was bad.
- Delivery is polled per message (``GET send/{messageId}``). Inbound is read
  from the repeatable listings, not from ``receive/latest`` (which hands out
  each message only once): ``receive/live`` (today, newest first) and, when
  the window starts before today in Tehran, ``receive/archive``; a poll whose
  storing failed is asked again with the same window (SMS-21).
- Credit is SMS.ir's own credit unit. No webhooks.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, time
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

from connectors.errors import AuthError
from connectors.settings import Secret
from connectors.sms._wire import (
    StatusCodes,
    Wire,
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

SYSTEM = "smsir"
TEHRAN = ZoneInfo("Asia/Tehran")
INBOUND_PAGE_SIZE = 100
#: At most this many pages per listing and poll; a provider that keeps saying "more" cannot loop us forever.
MAX_INBOUND_PAGES = 20

#: Application ``status`` codes (https://sms.ir/rest-api/).
STATUS_REASONS: dict[int, str] = {
    0: "SMS.ir reports a system problem",
    10: "the API key is not valid",
    11: "the API key is disabled",
    12: "the API key is restricted to other IP addresses",
    13: "the account is inactive",
    14: "the account is suspended",
    20: "too many requests",
    101: "the sender line is not valid",
    102: "not enough credit",
    103: "the message text is empty",
    104: "the mobile number is not valid",
    105: "more than 100 mobile numbers",
    106: "more than 100 texts",
    107: "the mobile list is empty",
    108: "the text list is empty",
    109: "the send time is not valid",
    110: "the numbers of mobiles and texts differ",
    111: "no message was sent with this id",
    112: "nothing to delete",
    113: "the template was not found",
    114: "a template parameter is longer than 25 characters",
    115: "the mobile number is on the blacklist",
    116: "a template parameter name is empty",
    117: "the text is not approved",
    118: "the number of messages is over the limit",
    119: "the account's plan must be upgraded",
    123: "the line needs to be activated",
}
STATUS_CODES = StatusCodes(
    "SMS.ir", STATUS_REASONS, auth=frozenset({10, 11, 12, 13, 14}), throttle=frozenset({20}), down=frozenset({0})
)

#: ``deliveryState`` values (https://sms.ir/rest-api/).
DELIVERY_STATES: dict[int, DeliveryStatus] = {
    1: DeliveryStatus.DELIVERED,
    2: DeliveryStatus.FAILED,
    3: DeliveryStatus.SENT_TO_OPERATOR,
    4: DeliveryStatus.FAILED,
    5: DeliveryStatus.SENT_TO_OPERATOR,
    6: DeliveryStatus.FAILED,
    7: DeliveryStatus.BLOCKED,
}


class SmsIrSettings(ProviderSettings):
    """One SMS.ir account; ``default_sender`` is the line number (digits)."""

    base_url: str = "https://api.sms.ir/v1"
    api_key: Secret


class SmsIrProvider:
    """SMS through one SMS.ir account; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "smsir"
    settings_model: ClassVar[type[ProviderSettings]] = SmsIrSettings
    max_batch: ClassVar[int] = 100
    accepts_our_id: ClassVar[bool] = False
    inbound_is_repeatable: ClassVar[bool] = True

    def __init__(self, settings: SmsIrSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.api_key.reveal(),))

    def send(self, sms: OutgoingSms) -> SendReceipt:
        (receipt,) = self.send_many([sms])
        return accepted_or_refused(receipt, SYSTEM, "send")

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        check_batch(batch, self.max_batch)
        key = batch[0].our_id if len(batch) == 1 else None
        lines = {sms.sender or self._settings.default_sender for sms in batch}
        if None in lines:
            raise missing_setting(
                SYSTEM, "send", "a line number (default_sender or the message's sender)", batch[0].our_id
            )
        if len(lines) != 1:
            raise ValueError("SMS.ir sends one batch from one line; give every message the same sender")
        (line,) = lines
        mobiles = [iran_panel_number(sms.to) for sms in batch]
        texts = [sms.text for sms in batch]
        if len(set(texts)) == 1:
            payload = {"lineNumber": _line(line), "messageText": texts[0], "mobiles": mobiles, "sendDateTime": None}
            data = self._call("POST", "send/bulk", json=payload, key=key)
        else:
            payload = {"lineNumber": _line(line), "messageTexts": texts, "mobiles": mobiles, "sendDateTime": None}
            data = self._call("POST", "send/likeToLike", json=payload, key=key)
        ids = self._wire.parse("send", data, lambda d: list(d["messageIds"]), key)
        if len(ids) != len(batch):
            raise self._wire.bad_reply(f"{len(ids)} message ids for {len(batch)} messages", str(data), "send", key)
        return [_receipt(sms, message_id) for sms, message_id in zip(batch, ids, strict=True)]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        reports = []
        for provider_id in provider_ids:
            data = self._call("GET", f"send/{numeric_id(provider_id, SYSTEM, 'send/{id}')}")
            reports.append(self._wire.parse("send/{id}", data, _report))
        return reports

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        raise unsupported(SYSTEM, "find_by_our_id", "look-ups by our own message id")

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """Inbound messages received in ``window`` (today's when ``None``); repeatable (SMS-21).

        ``receive/live`` is paged newest first until a page reaches
        ``window.since``; ``receive/archive`` is asked as well when the window
        starts before today in Tehran. Messages before ``since`` are left out.
        """
        since = window.since if window else None
        found = {m.provider_id: m for m in self._pages("receive/live", {"sortByNewest": "true"}, since)}
        if (
            window is not None
            and since is not None
            and since < datetime.combine(window.until.astimezone(TEHRAN).date(), time(), TEHRAN)
        ):
            span = {"fromDate": int(since.timestamp()), "toDate": int(window.until.timestamp())}
            found.update((m.provider_id, m) for m in self._pages("receive/archive", span, None))
        return [m for m in found.values() if since is None or m.received_at is None or m.received_at >= since]

    def _pages(self, path: str, params: Mapping[str, Any], stop_before: datetime | None) -> list[InboundSms]:
        """Every page of one inbound listing, until a short page, a page older than ``stop_before`` or the cap."""
        found: dict[str, InboundSms] = {}
        for number in range(1, MAX_INBOUND_PAGES + 1):
            data = self._call("GET", path, params={**params, "pageSize": INBOUND_PAGE_SIZE, "pageNumber": number})
            page = self._wire.parse(path, data, lambda d: [_inbound(r) for r in rows(d or [])])
            fresh = [m for m in page if m.provider_id not in found]
            found.update((m.provider_id, m) for m in fresh)
            older = stop_before is not None and any(m.received_at and m.received_at < stop_before for m in page)
            if len(page) < INBOUND_PAGE_SIZE or not fresh or older:
                return list(found.values())
        log.warning(
            "SMS.ir %s still had pages after %d; the rest is read on the next poll",
            path,
            MAX_INBOUND_PAGES,
            extra={"system": SYSTEM, "operation": path},
        )
        return list(found.values())

    def balance(self) -> Credit:
        data = self._call("GET", "credit")
        return self._wire.parse("credit", data, lambda d: Credit(decimal(d), "credit"))

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks (poll delivery and inbound instead)")

    def _call(self, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> Any:
        """The translation boundary: one request, then HTTP status and the ``status`` envelope."""
        headers = {"X-API-KEY": self._settings.api_key.reveal(), "Accept": "application/json"}
        url = f"{self._settings.base_url.rstrip('/')}/{path}"
        response = self._wire.request(
            method, url, operation=path, key=key, check_status=False, headers=headers, **kwargs
        )
        if response.status_code in (401, 403):
            raise AuthError(
                f"SMS.ir refused the API key (HTTP {response.status_code})", system=SYSTEM, operation=path, key=key
            )
        raise_for_transport_status(response, SYSTEM, path, key)
        body = self._wire.json(response, path, key)
        status = self._wire.parse(path, body, lambda b: int(b["status"]), key)
        if status != 1:
            raise STATUS_CODES.error(status, system=SYSTEM, operation=path, key=key)
        return body.get("data")


def _line(line: str) -> int | str:
    # The documented sample sends the line as a JSON number. isascii: "²" passes isdigit, not int(); a line
    # longer than any phone number stays text, as int() refuses thousands of digits.
    return int(line) if line.isascii() and line.isdigit() and len(line) <= 20 else line


def _receipt(sms: OutgoingSms, message_id: Any) -> SendReceipt:
    parts = count_segments(sms.text).parts
    if message_id is None:
        return SendReceipt(
            sms.our_id,
            None,
            DeliveryStatus.FAILED,
            parts,
            code="null",
            reason="SMS.ir refused this recipient: the number or the text is not valid",
        )
    if message_id in (0, "0"):
        return SendReceipt(
            sms.our_id, None, DeliveryStatus.BLOCKED, parts, code="0", reason="the number is on the telecom blacklist"
        )
    return SendReceipt(sms.our_id, str(int(message_id)), DeliveryStatus.QUEUED, parts)


def _stamp(value: Any) -> datetime | None:
    if value in (None, 0):
        return None
    try:
        return datetime.fromtimestamp(int(value), UTC)
    except (OverflowError, OSError) as exc:
        raise ValueError(f"time {value!r} is out of range") from exc


def _report(data: Mapping[str, Any]) -> DeliveryReport:
    state = data.get("deliveryState")
    status = DeliveryStatus.QUEUED if state is None else DELIVERY_STATES.get(int(state), DeliveryStatus.UNKNOWN)
    return DeliveryReport(
        provider_id=str(int(data["messageId"])),
        status=status,
        code=None if state is None else str(state),
        at=_stamp(data.get("deliveryDateTime")),
    )


def _inbound(row: Mapping[str, Any]) -> InboundSms:
    provider_id = row["receiveReturnId"]
    if isinstance(provider_id, bool) or not isinstance(provider_id, (int, str)) or not str(provider_id).isdigit():
        raise ValueError("receiveReturnId is not a number")
    if not isinstance(row["messageText"], str):
        raise TypeError("messageText is not text")
    return InboundSms(
        provider_id=str(int(provider_id)),
        sender=e164_from_iran_panel(str(row["mobile"])),
        line=str(row["number"]),
        text=str(row["messageText"]),
        received_at=_stamp(row.get("receivedDateTime")),
    )
