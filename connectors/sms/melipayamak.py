"""Melipayamak (payamak-panel platform) REST connector (SMS-13, -14, -17, -20).

Wire format: reference/sms.md §4.1, §4.3 and §18.3
(https://www.melipayamak.com/api/). Form POSTs to
``https://rest.payamak-panel.com/api/SendSMS/{op}`` with the account's
``username`` and ``password`` in every body; replies are
``{"Value": "...", "RetStatus": 1, "StrRetStatus": "Ok"}``. ``RetStatus`` 1
means the call itself went through; for a send, ``Value`` is then either the
new message's ``recId`` or one of the documented refusal codes, so both are
read. Farapayamak and other payamak-panel resellers use the same API on their
own host (set ``base_url``).

Quirks (docs/sms-providers.md lists what is UNCONFIRMED):
- One recipient per call (``max_batch`` 1): the documented ``SendSMS`` reply
  carries one ``recId``, and what it returns for a comma-joined ``to`` is not
  documented. Batches of one text go through the SOAP kind
  (``melipayamak_soap``), whose ``SendSimpleSMS`` returns an id per recipient.
- Does NOT accept our id: ``find_by_our_id`` refuses; check the panel before
  resending a send whose outcome is unknown.
- Delivery is polled per ``recId`` (``GetDeliveries2``); the same code table
  serves the SOAP kind. Inbound (``GetMessages``) is not wired: its REST reply
  shape is not documented where we could read it.
- Credit (``GetCredit``) is the panel's own credit figure. No webhooks.
- The password travels in the form body; it is never logged and is masked in
  any raw reply kept on an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import requests

from connectors.errors import AuthError, ConnectorError, RateLimitedError, RejectedError, UnavailableError
from connectors.settings import Secret
from connectors.sms._wire import Wire, ci_get, decimal, national_ir, raise_for_transport_status
from connectors.sms.base import InboundWindow, ProviderSettings, WebhookItem, check_batch, unsupported
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

#: Send return values other than a recId (reference/sms.md §4.3), in plain words.
SEND_REASONS: dict[int, str] = {
    0: "the username or password is wrong",
    2: "not enough credit",
    3: "the daily sending limit is reached",
    4: "the sending volume limit is reached",
    5: "the sender number is not valid",
    6: "the system is being updated; try later",
    7: "the text contains a filtered word",
    9: "public lines cannot send through the web service",
    10: "the user account is not active",
    11: "the message was not sent",
    12: "the user's documents are incomplete",
    14: "the text contains a link",
    15: 'sending to more than one number needs "لغو11" in the text',
    16: "no recipient number was found",
    17: "the message text is empty",
    18: "the recipient number is not valid",
    35: "the recipient is on the telecom blacklist",
    -10: "the template variables contain a link",
}
AUTH_CODES = frozenset({0, 10, 12})
THROTTLE_CODES = frozenset({3, 4})
DOWN_CODES = frozenset({6})
BLOCKED_CODES = frozenset({35})
#: A recId is a large positive number; anything at or below this is a return code.
MAX_RETURN_CODE = 100

#: ``GetDelivery`` / ``GetDeliveries`` / ``GetDeliveries2`` codes (reference/sms.md §4.3, §19).
DELIVERY_CODES: dict[int, tuple[DeliveryStatus, str]] = {
    0: (DeliveryStatus.SENT_TO_OPERATOR, "sent to the telecom operator"),
    1: (DeliveryStatus.DELIVERED, "delivered to the handset"),
    2: (DeliveryStatus.FAILED, "not delivered to the handset"),
    3: (DeliveryStatus.FAILED, "telecom error"),
    5: (DeliveryStatus.UNKNOWN, "unknown error"),
    8: (DeliveryStatus.SENT_TO_OPERATOR, "reached the telecom operator"),
    16: (DeliveryStatus.FAILED, "did not reach the telecom operator"),
    35: (DeliveryStatus.BLOCKED, "the number is on the telecom blacklist"),
    100: (DeliveryStatus.UNKNOWN, "status unknown"),
    200: (DeliveryStatus.SENT_TO_OPERATOR, "sent"),
    300: (DeliveryStatus.BLOCKED, "filtered"),
    400: (DeliveryStatus.QUEUED, "in the sending list"),
    500: (DeliveryStatus.FAILED, "not accepted"),
}


def delivery_report(provider_id: str, code: int) -> DeliveryReport:
    """A report for one payamak-panel delivery code (shared with the SOAP kind)."""
    status, reason = DELIVERY_CODES.get(code, (DeliveryStatus.UNKNOWN, f"undocumented delivery code {code}"))
    return DeliveryReport(provider_id, status, code=str(code), reason=reason)


def send_refusal(code: int, operation: str, key: str | None) -> ConnectorError:
    """The error for a payamak-panel send return code (shared with the SOAP kind)."""
    reason = SEND_REASONS.get(code, f"undocumented Melipayamak return value {code}")
    context = {"system": SYSTEM, "operation": operation, "key": key}
    message = f"Melipayamak {code}: {reason}"
    if code in AUTH_CODES:
        return AuthError(message, **context)
    if code in THROTTLE_CODES:
        return RateLimitedError(message, **context)
    if code in DOWN_CODES:
        return UnavailableError(message, **context)
    return RejectedError(message, code=str(code), reason=reason, **context)


def is_return_code(value: int) -> bool:
    """True when a send's value is a return code, not a recId."""
    return value <= MAX_RETURN_CODE


class MelipayamakSettings(ProviderSettings):
    """One payamak-panel account (Melipayamak, Farapayamak or a reseller): web-service user and password."""

    base_url: str = "https://rest.payamak-panel.com/api/SendSMS"
    username: str
    password: Secret


class MelipayamakProvider:
    """SMS through one payamak-panel account over REST; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "melipayamak"
    settings_model: ClassVar[type[ProviderSettings]] = MelipayamakSettings
    max_batch: ClassVar[int] = 1
    accepts_our_id: ClassVar[bool] = False
    inbound_is_repeatable: ClassVar[bool] = False

    def __init__(self, settings: MelipayamakSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.password.reveal(),))

    def send(self, sms: OutgoingSms) -> SendReceipt:
        sender = sms.sender or self._settings.default_sender
        if not sender:
            raise ValueError("Melipayamak needs a line number: set default_sender or the message's sender")
        flash = "true" if sms.flash else "false"
        form = {"to": national_ir(sms.to), "from": sender, "text": sms.text, "isFlash": flash}
        value = self._call("SendSMS", form, key=sms.our_id)
        rec_id = self._wire.parse("SendSMS", value, int, sms.our_id)
        if rec_id in SEND_REASONS:
            raise send_refusal(rec_id, "SendSMS", sms.our_id)
        if is_return_code(rec_id):
            raise self._wire.bad_reply(f"send returned {rec_id}, neither a recId nor a documented code",
                                       str(value), "SendSMS", sms.our_id)
        return SendReceipt(sms.our_id, str(rec_id), DeliveryStatus.QUEUED, count_segments(sms.text).parts)

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        check_batch(batch, self.max_batch)
        return [self.send(batch[0])]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        reports = []
        for provider_id in provider_ids:
            value = self._call("GetDeliveries2", {"recId": str(int(provider_id))})
            reports.append(delivery_report(provider_id, self._wire.parse("GetDeliveries2", value, int)))
        return reports

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        raise unsupported(SYSTEM, "find_by_our_id", "look-ups by our own message id")

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        raise unsupported(SYSTEM, "fetch_inbound", "a documented inbound reply over REST")

    def balance(self) -> Credit:
        value = self._call("GetCredit", {})
        return self._wire.parse("GetCredit", value, lambda v: Credit(decimal(v), "credit"))

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks (poll delivery instead)")

    def _call(self, operation: str, form: Mapping[str, str], *, key: str | None = None) -> Any:
        """The translation boundary: one form POST, HTTP status, then ``RetStatus``; returns ``Value``."""
        url = f"{self._settings.base_url.rstrip('/')}/{operation}"
        credentials = {"username": self._settings.username, "password": self._settings.password.reveal()}
        response = self._wire.request("POST", url, operation=operation, key=key, check_status=False,
                                      data={**credentials, **form}, headers={"Accept": "application/json"})
        context = {"system": SYSTEM, "operation": operation, "key": key}
        if response.status_code in (401, 403):
            raise AuthError(f"Melipayamak refused the credentials (HTTP {response.status_code})", **context)
        raise_for_transport_status(response, SYSTEM, operation, key)
        body = self._wire.json(response, operation, key)
        status, value = self._wire.parse(operation, body, _envelope, key)
        if status != 1:
            # The panel answers a failed call with the same code table as a refused send.
            raise send_refusal(status, operation, key)
        log.debug("melipayamak %s ok", operation, extra={"system": SYSTEM, "operation": operation, "key": key})
        return value


def _envelope(body: Mapping[str, Any]) -> tuple[int, Any]:
    if not isinstance(body, Mapping):
        raise TypeError("reply is not a JSON object")
    status = ci_get(body, "RetStatus")
    if status is None or isinstance(status, bool):
        raise KeyError("RetStatus")
    value = ci_get(body, "Value")
    return int(status), value
