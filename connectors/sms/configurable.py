"""A panel the suite has no adapter for, spoken to from an administrator's description (SMS-13, -14, -18, -20, -21).

The provider-account row names kind ``configurable`` and carries a
:class:`~connectors.sms.panel_description.PanelDescription` (column *Panel
Description*): per operation the URL, method, body template and where the
reply keeps the message id, the status code, the credit or the inbound
messages, and a table of the panel's codes. The shipped examples are in
``connectors/sms/panels/``; docs/sms-providers.md says how to write one.

It keeps the provider contract (connectors/sms/base.py): transport failures go
through the shared map (never sent vs outcome unknown), a refused recipient
raises ``RejectedError`` from ``send``, the password never reaches a log or an
error. A reply the description cannot classify is a ``BadReplyError``, never
a success. One message per send call (``max_batch`` 1); the panel is not
assumed to keep our id (``find_by_our_id`` refuses); an inbound listing is
treated as read-once (the caller keeps what it fetched until it is stored);
pushed webhooks are not described.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Any, ClassVar

import requests
from lxml import etree
from pydantic import field_validator, model_validator

from connectors.errors import (
    AuthError,
    ConnectorError,
    InvalidRequestError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.settings import Secret
from connectors.sms._panel_render import amount, decode, items, read, render
from connectors.sms._wire import Wire, raise_for_transport_status, retry_after_s
from connectors.sms.base import (
    InboundWindow,
    ProviderSettings,
    WebhookItem,
    check_batch,
    missing_setting,
    unsupported,
)
from connectors.sms.panel_description import Outcome, PanelDescription, Reply
from connectors.sms.panel_validation import validate_description
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

SYSTEM = "configurable"
_UNREADABLE = (ValueError, UnicodeDecodeError, TypeError, IndexError, AttributeError, etree.XPathError)
#: The field each operation must find in a successful reply.
_NEEDED = {"send": "message_id", "status": "delivery", "credit": "credit", "inbound": "items"}


class ConfigurableSettings(ProviderSettings):
    """One account on a described panel: the description, and the user name and password its templates use.

    ``base_url`` (the row's API Address) overrides the description's own; paths
    in the description are joined to it.
    """

    base_url: str = ""
    description: PanelDescription
    username: str | None = None
    password: Secret

    @field_validator("description", mode="before")
    @classmethod
    def _described(cls, value: Any) -> Any:
        return value if isinstance(value, PanelDescription) else validate_description(value)

    @model_validator(mode="after")
    def _has_an_address(self) -> ConfigurableSettings:
        relative = [op.url for op in map(self.description.operation, _NEEDED) if op and op.url.startswith("/")]
        if relative and not self.api_url:
            raise ValueError("the description uses paths but neither it nor the account names an API address")
        return self

    @property
    def api_url(self) -> str:
        return self.base_url or self.description.base_url or ""


class ConfigurableProvider:
    """SMS through a panel described by an administrator; see the module docstring."""

    kind: ClassVar[str] = "configurable"
    settings_model: ClassVar[type[ProviderSettings]] = ConfigurableSettings
    max_batch: ClassVar[int] = 1
    accepts_our_id: ClassVar[bool] = False
    inbound_is_repeatable: ClassVar[bool] = False

    def __init__(self, settings: ConfigurableSettings, *, session: requests.Session):
        self._settings = settings
        self._panel = settings.description
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.password.reveal(),))

    @property
    def description(self) -> PanelDescription:
        return self._panel

    def send(self, sms: OutgoingSms) -> SendReceipt:
        """One send call; a code the table calls refused raises ``RejectedError`` (never a failed receipt)."""
        sender = sms.sender or self._settings.default_sender
        values = {
            **self._credentials("send", sms.our_id),
            "to": self._number(sms.to),
            "text": sms.text,
            "sender": sender or "",
            "our_id": sms.our_id,
            "flash": "true" if sms.flash else "false",
        }
        if not sender and self._uses("send", "sender"):
            raise missing_setting(SYSTEM, "send", "a line number (default_sender or the message's sender)", sms.our_id)
        reply, document = self._call("send", values, sms.our_id)
        message_id = read(reply, document, reply.message_id)
        return SendReceipt(sms.our_id, message_id, DeliveryStatus.QUEUED, count_segments(sms.text).parts)

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        """One message per call: a batch holds exactly one message, sent as :meth:`send` sends it."""
        check_batch(batch, self.max_batch)
        return [self.send(sms) for sms in batch]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        """One status call per id; a code not in the delivery table is UNKNOWN with the raw code kept.

        A reply that names another message (``report_id``) is a bad reply; a
        reply without a state where the description says the panel leaves it
        out until it has one (``delivery_absent: not_yet``) is UNKNOWN.
        """
        if self._panel.status is None:
            raise unsupported(SYSTEM, "status", f"delivery reports on {self._panel.name}")
        return [self._report(provider_id) for provider_id in provider_ids]

    def _report(self, provider_id: str) -> DeliveryReport:
        values = {**self._credentials("status", provider_id), "message_id": provider_id}
        reply, document = self._call("status", values, provider_id)
        echoed = read(reply, document, reply.report_id) if reply.report_id else provider_id
        if echoed != provider_id:
            raise self._wire.bad_reply(
                f"{self._panel.name} answered about message {echoed!r}, not the one asked",
                None,
                "status",
                provider_id,
            )
        code = read(reply, document, reply.delivery)
        if code is None:
            return DeliveryReport(provider_id, DeliveryStatus.UNKNOWN, reason=f"{self._panel.name} has no state yet")
        status = reply.delivery_codes.get(code, DeliveryStatus.UNKNOWN)
        reason = None if code in reply.delivery_codes else f"{self._panel.name} status {code} is not described"
        return DeliveryReport(provider_id, status, code=code, reason=reason)

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        raise unsupported(SYSTEM, "find_by_our_id", "look-ups by our own message id")

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """The listing the inbound call returns; messages without an id get one made of their content."""
        if self._panel.inbound is None:
            raise unsupported(SYSTEM, "fetch_inbound", f"an inbound listing on {self._panel.name}")
        reply, document = self._call("inbound", self._credentials("inbound"))
        return self._wire.parse(
            "inbound",
            document,
            lambda d: [_inbound(reply, item, position) for position, item in enumerate(items(reply, d))],
        )

    def balance(self) -> Credit:
        if self._panel.credit is None:
            raise unsupported(SYSTEM, "balance", f"a credit read on {self._panel.name}")
        reply, document = self._call("credit", self._credentials("credit"))
        return Credit(amount(read(reply, document, reply.credit) or ""), self._panel.credit_unit)

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks for a described panel (poll instead)")

    def _credentials(self, operation: str, key: str | None = None) -> dict[str, str]:
        if not self._settings.username and self._uses(operation, "username"):
            raise missing_setting(SYSTEM, operation, "a user name", key)
        return {"username": self._settings.username or "", "password": self._settings.password.reveal()}

    def _uses(self, operation: str, placeholder: str) -> bool:
        described = self._panel.operation(operation)
        return described is not None and f"{{{placeholder}}}" in described.model_dump_json()

    def _number(self, e164: str) -> str:
        form = self._panel.recipient_format
        return e164 if form == "e164" else e164[1:] if form == "international" else iran_panel_number(e164)

    def _call(self, name: str, values: dict[str, str], key: str | None = None) -> tuple[Reply, Any]:
        """The translation boundary: render, send, classify by the code table; returns the decoded reply."""
        operation = self._panel.operation(name)
        if operation is None:
            raise unsupported(SYSTEM, name, f"{name} on {self._panel.name}")
        try:
            request = render(operation, values, self._settings.api_url)
        except ValueError as exc:
            raise InvalidRequestError(
                f"the {name} request could not be built: {exc}", system=SYSTEM, operation=name, key=key
            ) from None
        response = self._wire.request(
            request.method,
            request.url,
            operation=name,
            key=key,
            check_status=False,
            headers=request.headers,
            **request.kwargs,
        )
        document = self._judge(name, operation.reply, response, key)
        log.debug("%s %s ok", self._panel.name, name, extra={"system": SYSTEM, "operation": name, "key": key})
        return operation.reply, document

    def _judge(self, name: str, reply: Reply, response: requests.Response, key: str | None) -> Any:
        context = {"system": SYSTEM, "operation": name, "key": key}
        try:
            document = decode(reply, response.content)
            code = read(reply, document, reply.status)
        except _UNREADABLE:
            document, code = None, None
        rule = reply.codes.get(code) if code is not None else None
        if rule is not None and rule.outcome is not Outcome.ACCEPTED:
            reason = self._wire.scrub(_with_panel_words(rule.reason, self._reason(reply, document)) or f"code {code}")
            raise self._error(rule.outcome, code or "", reason, response, context)
        if response.status_code in (401, 403):
            raise AuthError(f"{self._panel.name} refused the credentials (HTTP {response.status_code})", **context)
        raise_for_transport_status(response, SYSTEM, name, key)
        if document is None:
            raise self._wire.bad_reply("the reply is not what the description says", response.content, name, key)
        if not (200 <= response.status_code < 300 and self._found(name, reply, document)):
            if reply.unlisted == "refused":
                reason = self._wire.scrub(self._reason(reply, document) or f"code {code or response.status_code}")
                raise RejectedError(
                    f"{self._panel.name} refused: {reason}",
                    code=code or str(response.status_code),
                    reason=reason,
                    **context,
                )
            raise self._wire.bad_reply(
                f"{self._panel.name} answered code {code!r} (HTTP {response.status_code}), "
                "which the description does not name",
                response.content,
                name,
                key,
            )
        return document

    def _found(self, name: str, reply: Reply, document: Any) -> bool:
        try:
            value = read(reply, document, getattr(reply, _NEEDED[name])) if name != "inbound" else "listing"
            if name == "send" and reply.id_kind == "number":
                return value is not None and value.isdigit() and int(value) > 0
            if name == "credit":
                amount(value or "")
            if name == "status" and value is None and reply.delivery_absent == "not_yet":
                rule = reply.codes.get(read(reply, document, reply.status) or "")
                return rule is not None and rule.outcome is Outcome.ACCEPTED
            return value is not None
        except _UNREADABLE + (ArithmeticError,):
            return False

    def _reason(self, reply: Reply, document: Any) -> str | None:
        try:
            return read(reply, document, reply.reason) if document is not None else None
        except _UNREADABLE:
            return None

    def _error(
        self, outcome: Outcome, code: str, reason: str, response: requests.Response, context: dict[str, str | None]
    ) -> ConnectorError:
        message = f"{self._panel.name} {code}: {reason}"
        if outcome is Outcome.AUTH:
            return AuthError(message, **context)
        if outcome is Outcome.THROTTLED:
            return RateLimitedError(message, retry_after_s=retry_after_s(response.headers), **context)
        if outcome is Outcome.UNAVAILABLE:
            return UnavailableError(message, **context)
        return RejectedError(message, code=code, reason=reason, **context)


def _inbound(reply: Reply, item: Any, position: int) -> InboundSms:
    def field(name: str) -> str | None:
        path = reply.item.get(name)
        return read(reply, item, path) if path else None

    sender, text, line = field("sender"), field("text"), field("line") or ""
    if not sender or text is None:
        raise ValueError("an inbound message without sender or text")
    stamp = field("received_at")
    received_at = _when(stamp)
    provider_id = (
        field("id")
        or "h"
        + hashlib.sha256("\x1f".join((sender, line, text, stamp or "", str(position))).encode("utf-8")).hexdigest()[:24]
    )
    return InboundSms(provider_id, e164_from_iran_panel(sender), line, text, received_at)


def _when(value: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(value) if value else None
    except ValueError:
        return None


def _with_panel_words(described: str | None, panel: str | None) -> str | None:
    """The description's reason for a code, followed by the panel's own words when it gave different ones.

    A code table names a whole class ("the request did not validate"); the
    panel's message says which field (the sender number), and the user reading
    the SMS's error needs that.
    """
    if described and panel and panel.strip() and panel.strip() != described:
        return f"{described} ({panel.strip()})"
    return described or panel
