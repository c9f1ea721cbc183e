"""Twilio Programmable Messaging connector, for international numbers (SMS-13, -14, -20, -21).

Wire format: https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json. Form POSTs to
``https://api.twilio.com/2010-04-01/Accounts/{AccountSid}/Messages.json``
with HTTP Basic auth (Account SID / Auth Token); JSON replies. Errors are
``{"code", "message", "more_info", "status"}`` on a 4xx reply.

Quirks:
- One recipient per request (``max_batch`` 1); ``From`` or a Messaging
  Service SID. Numbers are E.164 as they are.
- Does NOT accept our id: a message cannot be found by our id, so a send
  whose outcome is unknown must be checked in the Twilio console before it is
  resent (``find_by_our_id`` refuses).
- Delivery reports and inbound messages are pushed to our webhooks
  (``StatusCallback`` / the number's messaging URL) as forms; check
  ``X-Twilio-Signature`` with :meth:`TwilioProvider.is_valid_signature` before
  trusting one. There is no inbound poll here. ``num_segments`` and ``price``
  are strings. Balance is in the account's currency.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import requests
from pydantic import Field

from connectors.errors import AuthError, BadReplyError, RateLimitedError, RejectedError, UnavailableError
from connectors.settings import Secret
from connectors.sms._twilio_signature import is_valid_twilio_signature
from connectors.sms._wire import Wire, decimal, raise_for_transport_status, retry_after_s
from connectors.sms.base import (
    InboundWindow,
    ProviderSettings,
    WebhookItem,
    accepted_or_refused,
    check_batch,
    missing_setting,
    unsupported,
)
from domain.sms import Credit, DeliveryReport, DeliveryStatus, InboundSms, OutgoingSms, SendReceipt

SYSTEM = "twilio"
#: A message SID: ``SM`` (or ``MM``) and 32 hex digits. Anything else stored on a record is never put in a path.
_MESSAGE_SID = re.compile(r"[SM]M[0-9a-fA-F]{32}")

#: Twilio error codes we name; any other 4xx code is a refusal with Twilio's own message.
ERROR_REASONS: dict[int, str] = {
    20003: "the Account SID or Auth Token is not valid",
    20429: "too many requests",
    21211: "the recipient number is not valid",
    21408: "sending to this region is not enabled on the account",
    21606: "the sender number cannot send SMS",
    21608: "trial accounts can only send to verified numbers",
    21610: "the recipient has opted out (replied STOP)",
    21612: "Twilio cannot route to this number",
    21614: "the recipient is not a mobile number",
}
AUTH_CODES = frozenset({20003})
THROTTLE_CODES = frozenset({20429})

STATUSES: dict[str, DeliveryStatus] = {
    "accepted": DeliveryStatus.QUEUED,
    "scheduled": DeliveryStatus.QUEUED,
    "queued": DeliveryStatus.QUEUED,
    "sending": DeliveryStatus.QUEUED,
    "sent": DeliveryStatus.SENT_TO_OPERATOR,
    "partially_delivered": DeliveryStatus.SENT_TO_OPERATOR,
    "delivered": DeliveryStatus.DELIVERED,
    "read": DeliveryStatus.DELIVERED,
    "undelivered": DeliveryStatus.FAILED,
    "failed": DeliveryStatus.FAILED,
    "canceled": DeliveryStatus.FAILED,
}
#: Delivery error codes that mean the handset or carrier blocks us, not a transient fault.
BLOCKING_ERRORS = frozenset({"21610", "30004", "30007"})


class TwilioSettings(ProviderSettings):
    """One Twilio account; ``messaging_service_sid`` replaces a sender number when set."""

    base_url: str = "https://api.twilio.com/2010-04-01"
    account_sid: str = Field(pattern=r"^AC[0-9a-fA-F]{32}$")
    auth_token: Secret
    messaging_service_sid: str | None = Field(default=None, pattern=r"^MG[0-9a-fA-F]{32}$")
    status_callback_url: str | None = None


class TwilioProvider:
    """SMS through one Twilio account; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "twilio"
    settings_model: ClassVar[type[ProviderSettings]] = TwilioSettings
    max_batch: ClassVar[int] = 1
    accepts_our_id: ClassVar[bool] = False
    inbound_is_repeatable: ClassVar[bool] = False

    def __init__(self, settings: TwilioSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.auth_token.reveal(),))
        self._account = f"{settings.base_url.rstrip('/')}/Accounts/{settings.account_sid}"

    def send(self, sms: OutgoingSms) -> SendReceipt:
        return accepted_or_refused(self._send(sms), SYSTEM, "Messages.json")

    def _send(self, sms: OutgoingSms) -> SendReceipt:
        form = {"To": sms.to, "Body": sms.text}
        sender = sms.sender or self._settings.default_sender
        if sender:
            form["From"] = sender
        elif self._settings.messaging_service_sid:
            form["MessagingServiceSid"] = self._settings.messaging_service_sid
        else:
            raise missing_setting(SYSTEM, "Messages.json", "a sender number or a messaging service SID", sms.our_id)
        if self._settings.status_callback_url:
            form["StatusCallback"] = self._settings.status_callback_url
        message = self._call("POST", "Messages.json", key=sms.our_id, data=form)
        return self._wire.parse(
            "Messages.json",
            message,
            lambda m: SendReceipt(
                sms.our_id,
                str(m["sid"]),
                _status(m["status"], m.get("error_code")),
                int(m.get("num_segments") or 1),
                cost=None if m.get("price") is None else abs(decimal(m["price"])),
            ),
            sms.our_id,
        )

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        check_batch(batch, self.max_batch)
        return [self._send(batch[0])]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        reports = []
        for sid in provider_ids:
            if not isinstance(sid, str) or not _MESSAGE_SID.fullmatch(sid):
                reason = f"{str(sid)[:40]!r} is not a Twilio message SID"
                raise RejectedError(reason, code="bad_id", reason=reason, system=SYSTEM, operation="status", key=sid)
            message = self._call("GET", f"Messages/{sid}.json")
            reports.append(self._wire.parse("Messages/{sid}.json", message, _report))
        return reports

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        raise unsupported(SYSTEM, "find_by_our_id", "look-ups by our own message id")

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        raise unsupported(SYSTEM, "fetch_inbound", "inbound polling (it pushes inbound SMS to the webhook)")

    def balance(self) -> Credit:
        reply = self._call("GET", "Balance.json")
        return self._wire.parse("Balance.json", reply, lambda b: Credit(decimal(b["balance"]), str(b["currency"])))

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        return parse_webhook(body)

    def is_valid_signature(self, url: str, body: bytes, signature: str) -> bool:
        """Check ``X-Twilio-Signature`` by Twilio's documented rules (:mod:`connectors.sms._twilio_signature`)."""
        return is_valid_twilio_signature(self._settings.auth_token.reveal(), url, body, signature)

    def _call(self, method: str, path: str, *, key: str | None = None, **kwargs: Any) -> Any:
        """The translation boundary: one request; Twilio's error body decides the error type."""
        auth = (self._settings.account_sid, self._settings.auth_token.reveal())
        response = self._wire.request(
            method,
            f"{self._account}/{path}",
            operation=path,
            key=key,
            check_status=False,
            auth=auth,
            headers={"Accept": "application/json"},
            **kwargs,
        )
        if response.status_code < 400:
            return self._wire.json(response, path, key)
        context = {"system": SYSTEM, "operation": path, "key": key}
        try:
            error = self._wire.json(response, path, key)
            code, message = int(error["code"]), str(error.get("message") or "")
        except (BadReplyError, KeyError, TypeError, ValueError):
            if response.status_code == 401:
                raise AuthError("Twilio refused the credentials (HTTP 401)", **context) from None
            raise_for_transport_status(response, SYSTEM, path, key)
            raise self._wire.bad_reply(
                f"HTTP {response.status_code} without a Twilio error", response.content, path, key
            ) from None
        reason = ERROR_REASONS.get(code, message or f"Twilio error {code}")
        if code in AUTH_CODES or response.status_code == 401:
            raise AuthError(f"Twilio {code}: {reason}", **context)
        if code in THROTTLE_CODES or response.status_code == 429:
            raise RateLimitedError(f"Twilio {code}: {reason}", retry_after_s=retry_after_s(response.headers), **context)
        if response.status_code >= 500:
            raise UnavailableError(f"Twilio {code}: {reason}", **context)
        raise RejectedError(f"Twilio {code}: {reason}", code=str(code), reason=reason, **context)


def _status(name: str, error_code: Any) -> DeliveryStatus:
    status = STATUSES.get(str(name), DeliveryStatus.UNKNOWN)
    if status is DeliveryStatus.FAILED and str(error_code) in BLOCKING_ERRORS:
        return DeliveryStatus.BLOCKED
    return status


def _report(message: Mapping[str, Any]) -> DeliveryReport:
    error = message.get("error_code")
    return DeliveryReport(
        provider_id=str(message["sid"]),
        status=_status(message["status"], error),
        code=str(message["status"]),
        reason=message.get("error_message") or (f"Twilio error {error}" if error else None),
    )


def parse_webhook(body: bytes) -> list[WebhookItem]:
    """Parse a Twilio status callback (``MessageStatus``) or an inbound message (``Body``); pure.

    Raises ``BadReplyError`` for a body that is neither; unknown extra fields are ignored,
    as Twilio adds fields without notice.
    """
    try:
        fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=True))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadReplyError("webhook is not a UTF-8 form body", raw=body, system=SYSTEM, operation="webhook") from exc
    sid = fields.get("MessageSid") or fields.get("SmsSid")
    if not sid:
        raise BadReplyError("webhook has no MessageSid", raw=body, system=SYSTEM, operation="webhook")
    if "MessageStatus" in fields:
        error = fields.get("ErrorCode") or None
        return [
            DeliveryReport(
                sid,
                _status(fields["MessageStatus"], error),
                code=fields["MessageStatus"],
                reason=f"Twilio error {error}" if error else None,
            )
        ]
    if "Body" in fields and fields.get("From"):
        return [InboundSms(sid, fields["From"], fields.get("To", ""), fields["Body"])]
    raise BadReplyError(
        "webhook is neither a status callback nor an inbound message", raw=body, system=SYSTEM, operation="webhook"
    )
