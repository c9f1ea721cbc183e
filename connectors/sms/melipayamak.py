"""Melipayamak (payamak-panel platform) REST connector (SMS-13, -14, -17, -20).

Wire format: https://rest.payamak-panel.com/api/SendSMS/{op}
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
  serves the SOAP kind.
- Inbound (SMS-21) is a repeatable listing by message id, for both kinds: the
  SOAP service ``post/Receive.asmx`` (``receive_url``), operation
  ``GetMessagesAfterID(username, password, location, from, count, msgId)``,
  asked for the inbox (location 1) after the newest id already stored, page
  after page while a page is full, up to a cap (:class:`MelipayamakInbox`). The
  REST ``GetMessages`` reply shape is not documented where we could read it.
- Credit (``GetCredit``) is the panel's own credit figure. No webhooks.
- The password travels in the form body; it is never logged and is masked in
  any raw reply kept on an error.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import requests
from pydantic import Field
from zeep.helpers import serialize_object

from connectors.errors import AuthError, ConnectorError, RejectedError
from connectors.settings import Secret
from connectors.sms._soap import build_client, translating_soap
from connectors.sms._wire import StatusCodes, Wire, ci_get, decimal, raise_for_transport_status
from connectors.sms.base import (
    InboundWindow,
    ProviderSettings,
    WebhookItem,
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

SYSTEM = "melipayamak"

#: Send return values other than a recId (https://www.melipayamak.com/api/sendsimplesms/), in plain words.
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
SEND_CODES = StatusCodes(
    "Melipayamak",
    SEND_REASONS,
    auth=frozenset({0, 10, 12}),
    throttle=frozenset({3, 4}),
    down=frozenset({6}),
    undocumented="return value",
)
BLOCKED_CODES = frozenset({35})
#: A recId is a large positive number; anything at or below this is a return code.
MAX_RETURN_CODE = 100

#: ``GetDelivery`` / ``GetDeliveries`` / ``GetDeliveries2`` codes (https://www.melipayamak.com/api/sendsimplesms/).
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

#: ``Receive.asmx`` on the payamak-panel host (http://tempuri.org/); resellers set their own.
RECEIVE_URL = "https://api.payamak-panel.com/post/Receive.asmx"
#: ``location`` 1 is the inbox (http://tempuri.org/, documented for ``GetMessages``).
INBOX_LOCATION = 1
INBOUND_PAGE_SIZE = 100
#: ``msgId`` is an ``xsd:long``; a larger id could not be asked for as the next cursor.
MAX_MSG_ID = 2**63 - 1
#: Pages read per poll at most; what is left is listed from the new mark on the next poll.
MAX_INBOUND_PAGES = 20
#: The panel's clock; ``SendDate`` carries no offset (UNCONFIRMED, see docs/sms-providers.md).
TEHRAN = ZoneInfo("Asia/Tehran")


def delivery_report(provider_id: str, code: int) -> DeliveryReport:
    """A report for one payamak-panel delivery code (shared with the SOAP kind)."""
    status, reason = DELIVERY_CODES.get(code, (DeliveryStatus.UNKNOWN, f"undocumented delivery code {code}"))
    return DeliveryReport(provider_id, status, code=str(code), reason=reason)


def send_refusal(code: int, operation: str, key: str | None) -> ConnectorError:
    """The error for a payamak-panel send return code (shared with the SOAP kind)."""
    return SEND_CODES.error(code, system=SYSTEM, operation=operation, key=key)


def is_return_code(value: int) -> bool:
    """True when a send's value is a return code, not a recId."""
    return value <= MAX_RETURN_CODE


class MelipayamakSettings(ProviderSettings):
    """One payamak-panel account (Melipayamak, Farapayamak or a reseller): web-service user and password."""

    base_url: str = "https://rest.payamak-panel.com/api/SendSMS"
    username: str
    password: Secret
    receive_url: str = RECEIVE_URL
    inbound_start_id: int = Field(default=0, ge=0)


class MelipayamakProvider:
    """SMS through one payamak-panel account over REST; see the module docstring for the wire quirks."""

    kind: ClassVar[str] = "melipayamak"
    settings_model: ClassVar[type[ProviderSettings]] = MelipayamakSettings
    max_batch: ClassVar[int] = 1
    accepts_our_id: ClassVar[bool] = False
    inbound_is_repeatable: ClassVar[bool] = True

    def __init__(self, settings: MelipayamakSettings, *, session: requests.Session):
        self._settings = settings
        self._wire = Wire(session, SYSTEM, settings.timeout, secrets=(settings.password.reveal(),))
        self._inbox = MelipayamakInbox(
            self._wire, settings.receive_url, settings.username, settings.password, start_id=settings.inbound_start_id
        )

    def send(self, sms: OutgoingSms) -> SendReceipt:
        sender = sms.sender or self._settings.default_sender
        if not sender:
            raise missing_setting(
                SYSTEM, "SendSMS", "a line number (default_sender or the message's sender)", sms.our_id
            )
        flash = "true" if sms.flash else "false"
        form = {"to": iran_panel_number(sms.to), "from": sender, "text": sms.text, "isFlash": flash}
        value = self._call("SendSMS", form, key=sms.our_id)
        rec_id = self._wire.parse("SendSMS", value, int, sms.our_id)
        if rec_id in SEND_REASONS:
            raise send_refusal(rec_id, "SendSMS", sms.our_id)
        if is_return_code(rec_id):
            raise self._wire.bad_reply(
                f"send returned {rec_id}, neither a recId nor a documented code", str(value), "SendSMS", sms.our_id
            )
        return SendReceipt(sms.our_id, str(rec_id), DeliveryStatus.QUEUED, count_segments(sms.text).parts)

    def send_many(self, batch: Sequence[OutgoingSms]) -> list[SendReceipt]:
        check_batch(batch, self.max_batch)
        return [self.send(batch[0])]

    def fetch_reports(self, provider_ids: Sequence[str]) -> list[DeliveryReport]:
        reports = []
        for provider_id in provider_ids:
            value = self._call("GetDeliveries2", {"recId": str(numeric_id(provider_id, SYSTEM, "GetDeliveries2"))})
            reports.append(delivery_report(provider_id, self._wire.parse("GetDeliveries2", value, int)))
        return reports

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        raise unsupported(SYSTEM, "find_by_our_id", "look-ups by our own message id")

    def fetch_inbound(self, window: InboundWindow | None = None) -> list[InboundSms]:
        """Inbox messages after the window's id mark, through ``Receive.asmx``; see :class:`MelipayamakInbox`."""
        return self._inbox.fetch(window)

    def balance(self) -> Credit:
        value = self._call("GetCredit", {})
        return self._wire.parse("GetCredit", value, lambda v: Credit(decimal(v), "credit"))

    def parse_webhook(self, body: bytes, content_type: str) -> list[WebhookItem]:
        raise unsupported(SYSTEM, "parse_webhook", "webhooks (poll delivery instead)")

    def _call(self, operation: str, form: Mapping[str, str], *, key: str | None = None) -> Any:
        """The translation boundary: one form POST, HTTP status, then ``RetStatus``; returns ``Value``."""
        url = f"{self._settings.base_url.rstrip('/')}/{operation}"
        credentials = {"username": self._settings.username, "password": self._settings.password.reveal()}
        response = self._wire.request(
            "POST",
            url,
            operation=operation,
            key=key,
            check_status=False,
            data={**credentials, **form},
            headers={"Accept": "application/json"},
        )
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


class MelipayamakInbox:
    """The inbox as a repeatable listing by message id: ``Receive.asmx`` ``GetMessagesAfterID`` (SMS-21).

    Shared by both kinds. The zeep client is built once, here, over the
    vendored ``wsdl/melipayamak_receive.wsdl`` with the wire's timeout; the
    address is ``receive_url``. Raises only ``connectors.errors`` (reading is
    safe to retry: nothing on the panel changes).
    """

    def __init__(self, wire: Wire, address: str, username: str, password: Secret, *, start_id: int = 0):
        self._wire, self._username, self._password, self._start_id = wire, username, password, start_id
        client = build_client("melipayamak_receive.wsdl", wire.session, wire.timeout)
        self._service = client.create_service("{http://tempuri.org/}ReceiveSoap", address)

    def fetch(self, window: InboundWindow | None) -> list[InboundSms]:
        """Messages after ``window.after_id`` (or ``inbound_start_id``), oldest id first, at most the cap.

        The id mark is the cursor, so ``window.since`` is not used: what a
        failed store left behind has an id above the mark and is listed again.
        The inbound service stores oldest receive time first and takes the
        newest stored message's id as the next mark, so only the leading run
        whose times rise with the ids is returned; the rest follows next poll.
        """
        after = max(self._start_id, self._mark(window))
        found: list[InboundSms] = []
        for _ in range(MAX_INBOUND_PAGES):
            rows, asked = self._page(after), after
            page = self._wire.parse(
                "GetMessagesAfterID", rows, lambda r, a=asked: parse_inbox_page(r, after=a, page_size=INBOUND_PAGE_SIZE)
            )
            found += page
            kept = _stored_in_id_order(found)
            if kept < len(found):
                log.info(
                    "Melipayamak inbox: %d of %d listed messages held back for the next poll (their SendDate "
                    "is missing or out of id order)",
                    len(found) - kept,
                    len(found),
                    extra={"system": SYSTEM, "operation": "GetMessagesAfterID"},
                )
                return found[:kept]
            if len(page) < INBOUND_PAGE_SIZE:
                return found
            after = int(page[-1].provider_id)
        log.warning(
            "Melipayamak inbox still had messages after %d pages; the rest is listed on the next poll",
            MAX_INBOUND_PAGES,
            extra={"system": SYSTEM, "operation": "GetMessagesAfterID"},
        )
        return found

    def _mark(self, window: InboundWindow | None) -> int:
        text = (window.after_id or "").strip() if window else ""
        if not text:
            return 0
        if not text.isdigit():
            reason = f"the newest stored inbound id {text[:40]!r} is not a Melipayamak message id"
            raise RejectedError(reason, code="bad_mark", reason=reason, system=SYSTEM, operation="GetMessagesAfterID")
        return int(text)

    def _page(self, after: int) -> list[dict[str, Any]]:
        """The translation boundary: one ``GetMessagesAfterID`` call, its items as plain dicts."""
        operation = "GetMessagesAfterID"
        with translating_soap(self._wire, operation):
            reply = self._service.GetMessagesAfterID(
                username=self._username,
                password=self._password.reveal(),
                location=INBOX_LOCATION,
                count=INBOUND_PAGE_SIZE,
                msgId=after,
                **{"from": ""},
            )
        log.debug("melipayamak %s ok", operation, extra={"system": SYSTEM, "operation": operation})
        # An absent or empty result element is an empty inbox; zeep then gives None.
        return [dict(serialize_object(item) or {}) for item in (reply or [])]


def parse_inbox_page(rows: Sequence[Mapping[str, Any]], *, after: int, page_size: int) -> list[InboundSms]:
    """``MessagesBL`` items (as dicts) to inbound messages, oldest id first (SMS-02, -21).

    Raises ``ValueError`` for a page longer than asked, an item without a
    numeric ``MsgID``, one not after ``after`` or beyond ``xsd:long`` (the listing is then not the
    documented one and paging on it could loop). A missing ``Sender`` or
    ``Receiver`` is kept empty for the inbound service to refuse with a
    reason; an unreadable ``SendDate`` leaves the receive time unknown.
    """
    if len(rows) > page_size:
        raise ValueError(f"{len(rows)} messages on a page of {page_size}")
    found: dict[int, InboundSms] = {}
    for row in rows:
        msg_id = row.get("MsgID")
        if msg_id == after and after > 0:
            continue  # the mark itself, already stored, should ``msgId`` turn out to be inclusive
        if not isinstance(msg_id, int) or isinstance(msg_id, bool) or not after < msg_id <= MAX_MSG_ID:
            raise ValueError(f"MsgID {msg_id!r} is not a message id after {after}")
        stamp = row.get("SendDate")
        received = stamp.replace(tzinfo=TEHRAN) if isinstance(stamp, datetime) and stamp.tzinfo is None else stamp
        found[msg_id] = InboundSms(
            provider_id=str(msg_id),
            sender=str(row.get("Sender") or "").strip(),
            line=str(row.get("Receiver") or "").strip(),
            text=str(row.get("Body") or ""),
            received_at=received if isinstance(received, datetime) else None,
        )
    return [found[i] for i in sorted(found)]


def _stored_in_id_order(messages: Sequence[InboundSms]) -> int:
    """How many leading messages (id order) a store sorted by receive time would also take in id order.

    Were a later id sorted before an earlier one and storing failed between
    them, the mark would pass the earlier one and it would never be listed.
    """
    for index in range(1, len(messages)):
        previous, current = messages[index - 1].received_at, messages[index].received_at
        if previous is None or current is None or current < previous:
            return index
    return len(messages)


def _envelope(body: Mapping[str, Any]) -> tuple[int, Any]:
    if not isinstance(body, Mapping):
        raise TypeError("reply is not a JSON object")
    status = ci_get(body, "RetStatus")
    if status is None or isinstance(status, bool):
        raise KeyError("RetStatus")
    value = ci_get(body, "Value")
    return int(status), value
