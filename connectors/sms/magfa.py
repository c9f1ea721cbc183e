"""Magfa HTTP API v2 connector (SMS-13, -14, -17, -20, -21).

Wire format: https://messaging.magfa.com/ui/?public/wiki/api/http_v2
(https://messaging.magfa.com/ui/?public/wiki/api/http_v2). JSON over
``https://sms.magfa.com/api/http/sms/v2/{method}`` with HTTP Basic auth whose
user is ``username/domain``. Every reply carries ``status``; 0 is success, any
other value is one of Magfa's documented error codes.

Quirks (docs/sms-providers.md lists what is UNCONFIRMED):
- ``send`` takes parallel arrays (``senders``, ``recipients``, ``messages``,
  ``uids``), so every message in a batch may have its own text and line; the
  reply's ``messages[]`` is positional, each with its own ``status``, ``id``,
  ``parts`` and ``tariff`` (Rial).
- Accepts our id, as a number: ``uids`` must be integers, so each of our ids
  is hashed to a stable 53-bit ``uid`` (:func:`magfa_uid`). ``find_by_our_id``
  maps uids back to Magfa ids with ``mid/{uid}`` and then reads ``statuses``.
- Delivery statuses are kept for about a day (-1 = unknown id or too old).
  Advertising lines may only send 07:00-22:00 Tehran time (code 8): that is
  raised as ``RateLimitedError`` so the outbox sends it later.
- Inbound (``messages/{count}``) returns no message id: the id is left empty
  and the inbound service derives one (receipt time, sender, line, text,
  position). Treat the poll as read-once: store before acting.
- Flash is not offered here (Magfa's message class parameter is not
  documented where we could read it): a flash message goes out as a normal one.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

from connectors.errors import AuthError, RejectedError
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

SYSTEM = "magfa"
TEHRAN = ZoneInfo("Asia/Tehran")
STATUS_CHUNK = 100

#: Error codes (https://messaging.magfa.com/ui/?public/wiki/api/http_v2, Magfa's http_v2 error table), in plain words.
STATUS_REASONS: dict[int, str] = {
    1: "the recipient number is not valid",
    2: "the sender number is not valid",
    3: "the encoding parameter is not valid for this text",
    4: "the message class is not valid",
    6: "the UDH is not valid",
    8: "advertising messages may only be sent between 07:00 and 22:00",
    13: "the message is empty",
    14: "not enough credit",
    15: "Magfa was fixing an internal problem; try again",
    16: "the account is disabled",
    17: "the account has expired",
    18: "the username or password is not valid",
    19: "the username, password and domain do not match",
    20: "the sender number does not belong to the account",
    22: "this service is not enabled for the account",
    23: "Magfa cannot take new requests now; try again",
    24: "the message id is not valid (or older than a day)",
    25: "the method name is not valid",
    27: "the recipient is on the operator's blacklist",
    28: "the recipient's prefix is blocked at Magfa",
    29: "this IP address may not use the service",
    30: "the message has more than 265 parts",
    31: "the request is missing data",
    33: "the recipient blocked messages from this line (لغو ۱۱)",
    34: "there is no verified information for this number",
    101: "the messages array differs in length from the recipients",
    102: "the message classes array differs in length from the recipients",
    103: "the senders array differs in length from the recipients",
    104: "the UDH array differs in length from the recipients",
    105: "the priorities array differs in length from the recipients",
    106: "the recipients array is empty",
    107: "the recipients array is too long",
    108: "the senders array is empty",
    109: "the encodings array differs in length from the recipients",
    110: "the checking ids array differs in length from the recipients",
}
STATUS_CODES = StatusCodes(
    "Magfa", STATUS_REASONS, auth=frozenset({16, 17, 18, 19, 22, 29}), throttle=frozenset({8}), down=frozenset({15, 23})
)
BLOCKED_CODES = frozenset({27, 28, 33})
UNKNOWN_ID = 24

#: ``statuses`` values (https://messaging.magfa.com/ui/?public/wiki/api/http_v2; community client movahhedi/magfa-api).
DELIVERY_STATUSES: dict[int, tuple[DeliveryStatus, str]] = {
    -1: (DeliveryStatus.UNKNOWN, "unknown id, or sent more than a day ago"),
    0: (DeliveryStatus.QUEUED, "no status received yet"),
    1: (DeliveryStatus.DELIVERED, "delivered to the handset"),
    2: (DeliveryStatus.FAILED, "not delivered to the handset"),
    8: (DeliveryStatus.SENT_TO_OPERATOR, "reached the operator"),
    16: (DeliveryStatus.FAILED, "did not reach the operator"),
}


def magfa_uid(our_id: str) -> int:
    """Our id as the positive integer Magfa's ``uids`` take: stable, 53 bits (safe in any JSON reader)."""
    digest = hashlib.sha256(our_id.encode("utf-8")).digest()
    return (int.from_bytes(digest[:8], "big") >> 11) or 1


class MagfaSettings(ProviderSettings):
    """One Magfa account: user, domain and password (Basic auth user is ``username/domain``)."""

    base_url: str = "https://sms.magfa.com/api/http/sms/v2"
    username: str
    domain: str
    password: Secret


class MagfaProvider:
    """SMS through one Magfa account; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "magfa"
    settings_model: ClassVar[type[ProviderSettings]] = MagfaSettings
    max_batch: ClassVar[int] = 100
    accepts_our_id: ClassVar[bool] = True
    inbound_is_repeatable: ClassVar[bool] = False

    def __init__(self, settings: MagfaSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.password.reveal(),))

    def send(self, sms: OutgoingSms) -> SendReceipt:
        (receipt,) = self.send_many([sms])
        if not receipt.is_accepted:
            raise STATUS_CODES.error(int(receipt.code or 0), system=SYSTEM, operation="send", key=sms.our_id)
        return receipt

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        """One ``send`` call; a recipient Magfa refused comes back as a FAILED or BLOCKED receipt with its code."""
        check_batch(batch, self.max_batch)
        senders = [sms.sender or self._settings.default_sender for sms in batch]
        if not all(senders):
            raise missing_setting(
                SYSTEM, "send", "a line number (default_sender or the message's sender)", batch[0].our_id
            )
        key = batch[0].our_id if len(batch) == 1 else None
        payload = {
            "senders": senders,
            "recipients": [iran_panel_number(sms.to) for sms in batch],
            "messages": [sms.text for sms in batch],
            "uids": [magfa_uid(sms.our_id) for sms in batch],
        }
        body = self._call("POST", "send", key=key, json=payload)
        items = self._wire.parse("send", body, lambda b: rows(ci_require(b, "messages")), key)
        if len(items) != len(batch):
            raise self._wire.bad_reply(f"{len(items)} results for {len(batch)} messages", str(body), "send", key)
        return [
            self._wire.parse("send", item, lambda i, s=sms: _receipt(s, i), key)
            for sms, item in zip(batch, items, strict=True)
        ]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        reports: list[DeliveryReport] = []
        for start in range(0, len(provider_ids), STATUS_CHUNK):
            chunk = [str(numeric_id(i, SYSTEM, "statuses")) for i in provider_ids[start : start + STATUS_CHUNK]]
            body = self._call("GET", f"statuses/{','.join(chunk)}")
            reports.extend(self._wire.parse("statuses", body, _reports))
        return reports

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        """Reports for the messages Magfa knows under our ids (``mid/{uid}``, then ``statuses``)."""
        found: dict[str, str] = {}
        for our_id in our_ids:
            try:
                body = self._call("GET", f"mid/{magfa_uid(our_id)}", key=our_id)
            except RejectedError as exc:
                if exc.code == str(UNKNOWN_ID):
                    continue  # Magfa never saw this uid (or forgot it): the message was not accepted
                raise
            mid = self._wire.parse("mid", body, lambda b: int(ci_get(b, "mid") or 0), our_id)
            if mid > 0:
                found[str(mid)] = our_id
        if not found:
            return []
        reports = self.fetch_reports(list(found))
        return [
            DeliveryReport(r.provider_id, r.status, r.code, r.reason, found.get(r.provider_id), r.at) for r in reports
        ]

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """Up to 100 new inbound messages; store them before acting (the poll is treated as read-once)."""
        body = self._call("GET", "messages/100")
        return self._wire.parse("messages", body, lambda b: [_inbound(m) for m in rows(ci_get(b, "messages") or [])])

    def balance(self) -> Credit:
        body = self._call("GET", "balance")
        return self._wire.parse("balance", body, lambda b: Credit(decimal(ci_require(b, "balance")), "IRR"))

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks (poll delivery and inbound instead)")

    def _call(self, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> Mapping[str, Any]:
        """The translation boundary: one request, then HTTP status and the ``status`` envelope."""
        operation = path.split("/", 1)[0]
        url = f"{self._settings.base_url.rstrip('/')}/{path}"
        auth = (f"{self._settings.username}/{self._settings.domain}", self._settings.password.reveal())
        response = self._wire.request(
            method,
            url,
            operation=operation,
            key=key,
            check_status=False,
            auth=auth,
            headers={"Accept": "application/json"},
            **kwargs,
        )
        if response.status_code in (401, 403):
            raise AuthError(
                f"Magfa refused the credentials (HTTP {response.status_code})",
                system=SYSTEM,
                operation=operation,
                key=key,
            )
        raise_for_transport_status(response, SYSTEM, operation, key)
        body = self._wire.json(response, operation, key)
        status = self._wire.parse(operation, body, _status_of, key)
        if status != 0:
            raise STATUS_CODES.error(status, system=SYSTEM, operation=operation, key=key)
        log.debug("magfa %s ok", operation, extra={"system": SYSTEM, "operation": operation, "key": key})
        return body


def _status_of(body: Any) -> int:
    if not isinstance(body, Mapping):
        raise TypeError("reply is not a JSON object")
    status = ci_require(body, "status")
    if isinstance(status, bool):
        raise TypeError("status is not a number")
    return int(status)


def _receipt(sms: OutgoingSms, item: Mapping[str, Any]) -> SendReceipt:
    code = _status_of(item)
    if code != 0:
        status = DeliveryStatus.BLOCKED if code in BLOCKED_CODES else DeliveryStatus.FAILED
        reason = STATUS_CODES.reason(code)
        return SendReceipt(sms.our_id, None, status, count_segments(sms.text).parts, code=str(code), reason=reason)
    parts = ci_get(item, "parts")
    tariff = ci_get(item, "tariff")
    return SendReceipt(
        sms.our_id,
        str(int(ci_require(item, "id"))),
        DeliveryStatus.QUEUED,
        int(parts) if parts else count_segments(sms.text).parts,
        cost=None if tariff is None else decimal(tariff),
    )


def _stamp(value: Any) -> datetime | None:
    # Magfa prints local (Tehran) time as "yyyy-mm-dd hh:mm:ss" without an offset.
    return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=TEHRAN) if value else None


def _reports(body: Mapping[str, Any]) -> list[DeliveryReport]:
    return [_report(r) for r in rows(ci_require(body, "dlrs"))]


def _report(row: Mapping[str, Any]) -> DeliveryReport:
    code = int(ci_require(row, "status"))
    status, reason = DELIVERY_STATUSES.get(code, (DeliveryStatus.UNKNOWN, f"undocumented delivery status {code}"))
    provider_id = str(int(ci_require(row, "mid")))
    return DeliveryReport(provider_id, status, code=str(code), reason=reason, at=_stamp(ci_get(row, "date")))


def _inbound(row: Mapping[str, Any]) -> InboundSms:
    sender = str(ci_require(row, "senderNumber"))
    line = str(ci_require(row, "recipientNumber"))
    text = str(ci_require(row, "body"))
    date = ci_get(row, "date")
    # The reply has no message id: leave it empty so the inbound service derives one from the
    # receipt time, sender, line, text and position; two identical texts stay two (issue 12, §2).
    return InboundSms("", e164_from_iran_panel(sender), line, text, _stamp(date))
