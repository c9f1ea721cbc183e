"""Asanak REST v2 connector (SMS-13, -14, -17, -20).

Wire format: http://panel.asanak.ir/webservice/v1rest/sendsms?username=&password=&source=&destination=a-b-c&message=
and Asanak's own SDKs (the ``Asanak\\Sms``
PHP client and ``AsanakSmsClient`` for Python): JSON POSTs to
``https://sms.asanak.ir/webservice/v2rest/{method}`` with ``username`` and
``password`` in every body. Replies are ``{"meta": {"status", "message"},
"data": ...}``; ``meta.status`` 200 is success, anything else is one of
Asanak's error codes, sometimes on a 4xx reply (a bad destination list comes
back as HTTP 406 / 1010), so the envelope is read before the HTTP status.

Quirks (docs/sms-providers.md lists what is UNCONFIRMED):
- ``sendsms`` takes one text for a comma-joined ``destination`` list and
  answers with one message id per destination, in order; a batch therefore
  shares one text and one line. Destinations must be ``09…`` (``+98…`` is
  refused with 1010).
- ``send_to_black_list`` (spelled as Asanak's official Python and PHP SDKs
  send it; our setting is ``send_to_blacklist``) decides whether numbers on
  the operators' blacklist (subscribers who sent «لغو۱۱») are texted; we
  default to 0, Asanak to 1.
- Does NOT accept our id: ``find_by_our_id`` refuses; check the panel before
  resending a send whose outcome is unknown.
- Only two delivery statuses are known (6 delivered, 20 held by Asanak);
  every other status is reported as UNKNOWN with its raw code kept.
- Credit (``getcredit``) counts messages, not Rial. No inbound poll or webhook.
- Asanak's send has no flash option: a flash message goes out as a normal one.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests

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

SYSTEM = "asanak"
TEHRAN = ZoneInfo("Asia/Tehran")
OK = 200

#: ``meta.status`` error codes (Asanak's published error list, quoted by a client verified against it).
STATUS_REASONS: dict[int, str] = {
    429: "too many requests",
    1001: "the template is not valid or not active",
    1002: "the sender line is not active",
    1004: "Asanak's SMS system had an internal error",
    1005: "the reseller panel has not enough credit",
    1006: "not enough credit",
    1008: "the request parameters did not validate",
    1009: "the web service's daily sending limit is reached",
    1010: "the destination numbers are not valid",
    1013: "advertising messages may not be sent at this time of day",
    1014: "this sender line may not send links",
    1015: "the web-service password has expired",
}
STATUS_CODES = StatusCodes(
    "Asanak",
    STATUS_REASONS,
    auth=frozenset({1015}),
    throttle=frozenset({429, 1009, 1013}),
    down=frozenset({1004, *range(500, 600)}),
)

#: ``msgstatus`` values we can name; Asanak's table also has -1, 1, 2, 4, 5, 7-13 (meanings UNCONFIRMED).
DELIVERY_STATUSES: dict[int, tuple[DeliveryStatus, str]] = {
    6: (DeliveryStatus.DELIVERED, "delivered"),
    20: (DeliveryStatus.QUEUED, "held by Asanak before the operator"),
}


class AsanakSettings(ProviderSettings):
    """One Asanak account: web-service user and password; ``send_to_blacklist`` texts blacklisted numbers too."""

    base_url: str = "https://sms.asanak.ir/webservice/v2rest"
    username: str
    password: Secret
    send_to_blacklist: bool = False


class AsanakProvider:
    """SMS through one Asanak account; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "asanak"
    settings_model: ClassVar[type[ProviderSettings]] = AsanakSettings
    max_batch: ClassVar[int] = 100
    accepts_our_id: ClassVar[bool] = False
    inbound_is_repeatable: ClassVar[bool] = False

    def __init__(self, settings: AsanakSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.password.reveal(),))

    def send(self, sms: OutgoingSms) -> SendReceipt:
        return accepted_or_refused(self.send_many([sms])[0], SYSTEM, "sendsms")

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        """One ``sendsms`` call: the whole batch must share one text and one line."""
        check_batch(batch, self.max_batch)
        if len({(sms.text, sms.sender) for sms in batch}) != 1:
            raise ValueError("Asanak sends one text from one line per call; split the batch by text")
        source = batch[0].sender or self._settings.default_sender
        if not source:
            raise missing_setting(
                SYSTEM, "sendsms", "a line number (default_sender or the message's sender)", batch[0].our_id
            )
        key = batch[0].our_id if len(batch) == 1 else None
        payload = {
            "source": source,
            "destination": ",".join(iran_panel_number(sms.to) for sms in batch),
            "message": batch[0].text,
            "send_to_black_list": int(self._settings.send_to_blacklist),
        }
        data = self._call("sendsms", payload, key=key)
        ids = self._wire.parse("sendsms", data, _message_ids, key)
        if len(ids) != len(batch):
            raise self._wire.bad_reply(f"{len(ids)} message ids for {len(batch)} messages", str(data), "sendsms", key)
        parts = count_segments(batch[0].text).parts
        return [
            SendReceipt(sms.our_id, message_id, DeliveryStatus.QUEUED, parts)
            for sms, message_id in zip(batch, ids, strict=True)
        ]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        data = self._call(
            "msgstatus", {"msgid": ",".join(str(numeric_id(i, SYSTEM, "msgstatus")) for i in provider_ids)}
        )
        return self._wire.parse("msgstatus", data, lambda d: [_report(r) for r in rows(d)])

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        raise unsupported(SYSTEM, "find_by_our_id", "look-ups by our own message id")

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        raise unsupported(SYSTEM, "fetch_inbound", "a documented inbound poll")

    def balance(self) -> Credit:
        data = self._call("getcredit", {})
        return self._wire.parse("getcredit", data, lambda d: Credit(decimal(ci_require(d, "credit")), "credit"))

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks (poll delivery instead)")

    def _call(self, method: str, payload: Mapping[str, Any], *, key: str | None = None) -> Any:
        """The translation boundary: one JSON POST, envelope first, then HTTP status; returns ``data``."""
        url = f"{self._settings.base_url.rstrip('/')}/{method}"
        credentials = {"username": self._settings.username, "password": self._settings.password.reveal()}
        response = self._wire.request(
            "POST",
            url,
            operation=method,
            key=key,
            check_status=False,
            json={**credentials, **payload},
            headers={"Accept": "application/json"},
        )
        context = {"system": SYSTEM, "operation": method, "key": key}
        try:
            body = json.loads(response.content)
            code = _meta_status(body)
        except (ValueError, UnicodeDecodeError, KeyError, TypeError, RecursionError) as exc:
            if response.status_code in (401, 403):
                raise AuthError(f"Asanak refused the credentials (HTTP {response.status_code})", **context) from None
            raise_for_transport_status(response, SYSTEM, method, key)
            raise self._wire.bad_reply("reply is not an Asanak envelope", response.content, method, key) from exc
        if code != OK:
            # 1008 on a 401 is Asanak's answer to a wrong username or password.
            if response.status_code == 401:
                raise AuthError(f"Asanak {code}: the username or password is not valid", **context)
            raise STATUS_CODES.error(code, system=SYSTEM, operation=method, key=key)
        log.debug("asanak %s ok", method, extra=context)
        return body.get("data")


def _meta_status(body: Any) -> int:
    meta = body["meta"]
    status = meta["status"]
    if isinstance(status, bool):
        raise TypeError("meta.status is not a number")
    return int(status)


def _message_ids(data: Any) -> list[str]:
    ids = []
    for value in data if isinstance(data, list) else [data]:
        if isinstance(value, bool) or int(value) <= 0:
            raise ValueError(f"not a message id: {value!r}")
        ids.append(str(int(value)))
    return ids


def _stamp(value: Any) -> datetime | None:
    # Undelivered messages carry "0000-00-00 ..."; Asanak prints Tehran local time.
    text = str(value or "").strip()
    if not text or text.startswith("0000"):
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=TEHRAN)


def _report(row: Mapping[str, Any]) -> DeliveryReport:
    code = int(ci_require(row, "Status"))
    unknown = (DeliveryStatus.UNKNOWN, f"Asanak status {code} (meaning unconfirmed)")
    status, reason = DELIVERY_STATUSES.get(code, unknown)
    at = _stamp(ci_get(row, "DeliverTime")) if status is DeliveryStatus.DELIVERED else None
    return DeliveryReport(str(int(ci_require(row, "MsgId"))), status, code=str(code), reason=reason, at=at)
