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
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, ClassVar
from urllib.parse import parse_qs

import requests
from pydantic import Field

from connectors.errors import (
    BadReplyError,
    ConnectorError,
)
from connectors.settings import Secret
from connectors.sms._wire import (
    StatusCodes,
    Wire,
    decimal,
    raise_for_transport_status,
    rows,
)
from connectors.sms.base import InboundWindow, ProviderSettings, WebhookItem, accepted_or_refused, check_batch
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

SYSTEM = "kavenegar"

#: ``return.status`` codes (amircloner/kavenegar-node:README.md), in plain words for the record.
STATUS_REASONS: dict[int, str] = {
    400: "parameters are incomplete",
    401: "the account is disabled",
    402: "the operation failed",
    403: "the API key is not valid",
    404: "unknown method",
    405: "wrong HTTP method (GET/POST)",
    406: "required parameters were empty",
    407: "no access to the requested data",
    409: "the server cannot answer now; try later",
    411: "the recipient number is not valid",
    412: "the sender line is not valid",
    413: "the message is empty or longer than 900 characters",
    414: "too many records in one request (200 per send, 500 per status query)",
    415: "the start index is beyond the total",
    416: "the calling IP does not match the account's settings",
    417: "the send date is wrong or badly formatted",
    418: "not enough credit",
    419: "the text, recipient and sender arrays differ in length",
    420: "links in the message text are restricted for this account",
    422: "the data contains characters that cannot be processed",
    424: "the template was not found",
    426: "this method needs the advanced service",
    427: "this line needs an access level to be set up",
    428: "the code cannot be sent by voice call",
    429: "the IP is restricted",
    431: "the code's structure is wrong",
    432: "the code parameter was not found in the text",
    451: "too many calls from this IP in the time window",
    501: "the account can only send test messages to its owner's number",
    607: "the tag name is not valid",
}
STATUS_CODES = StatusCodes(
    "Kavenegar",
    STATUS_REASONS,
    auth=frozenset({401, 403, 407, 416}),
    throttle=frozenset({429, 451}),
    down=frozenset({402, 409}),
)

#: Delivery status codes (kavenegar-dotnet MessageStatus,
#: kavenegar/kavenegar-dotnet:Kavenegar/Models/Enums/MessageStatus.cs).
DELIVERY_STATUSES: dict[int, DeliveryStatus] = {
    1: DeliveryStatus.QUEUED,
    2: DeliveryStatus.QUEUED,
    4: DeliveryStatus.SENT_TO_OPERATOR,
    5: DeliveryStatus.SENT_TO_OPERATOR,
    6: DeliveryStatus.FAILED,
    10: DeliveryStatus.DELIVERED,
    11: DeliveryStatus.FAILED,
    13: DeliveryStatus.FAILED,
    14: DeliveryStatus.BLOCKED,
    100: DeliveryStatus.UNKNOWN,
}


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
        return self._wire.parse("sms/status", entries, lambda e: [_report(r) for r in rows(e)])

    def find_by_our_id(self, our_ids: Sequence[str]) -> list[DeliveryReport]:
        ours = {local_id(our_id): our_id for our_id in our_ids}
        entries = self._call("sms/statuslocalmessageid", {"localid": ",".join(ours)})
        # An unknown localid comes back without a message id: it was never accepted.
        reports = self._wire.parse(
            "sms/statuslocalmessageid",
            entries,
            lambda e: [_report(r, our_id=ours.get(str(r.get("localid") or ""))) for r in rows(e)],
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
        if _is_json(body, content_type):
            return parse_status_push_json(body)
        if is_status_push(body):
            return parse_status_push(body)
        return parse_inbound_push(body)

    def _sender(self, sms: OutgoingSms) -> str | None:
        return sms.sender or self._settings.default_sender

    def _receipts(self, batch: Sequence[OutgoingSms], entries: Any) -> list[SendReceipt]:
        reports = self._wire.parse("send", entries, lambda e: [(_report(r), _cost(r)) for r in rows(e)])
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
        except (ValueError, KeyError, TypeError) as exc:
            raise_for_transport_status(response, SYSTEM, method, key)
            raise self._wire.bad_reply("reply is not a Kavenegar envelope", response.content, method, key) from exc
        if code != 200:
            raise STATUS_CODES.error(code, system=SYSTEM, operation=method, key=key)
        log.debug("kavenegar %s ok", method, extra={"system": SYSTEM, "operation": method, "key": key})
        return body.get("entries")


def _cost(entry: Mapping[str, Any]) -> Decimal | None:
    return None if entry.get("cost") is None else decimal(entry["cost"])


def _report(entry: Mapping[str, Any], our_id: str | None = None) -> DeliveryReport:
    """A status entry. Its ``localid`` is :func:`local_id` of our id, not our id: only a caller that
    sent the ids it asks about can name ``our_id``."""
    code = int(entry["status"])
    return DeliveryReport(
        provider_id=str(int(entry["messageid"])),
        status=DELIVERY_STATUSES.get(code, DeliveryStatus.UNKNOWN),
        code=str(code),
        reason=entry.get("statustext"),
        our_id=our_id,
    )


def _inbound(entry: Mapping[str, Any]) -> InboundSms:
    stamp = entry.get("date")
    return InboundSms(
        provider_id=str(entry["messageid"]),
        sender=e164_from_iran_panel(str(entry["sender"])),
        line=str(entry["receptor"]),
        text=str(entry.get("message", "")),
        received_at=datetime.fromtimestamp(int(stamp), UTC) if stamp is not None else None,
    )


def is_status_push(body: bytes) -> bool:
    """True for a form body with ``messageid`` and ``status`` and no ``from``: a status callback, not a text."""
    try:
        fields = parse_qs(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return False
    return "from" not in fields and "messageid" in fields and "status" in fields


def parse_status_push(body: bytes) -> list[WebhookItem]:
    """Parse the per-line "status callback URL" form POST into one delivery report (SMS-20).

    Its payload is not documented (amircloner/kavenegar-node:README.md, docs/sms-providers.md);
    we read the fields of ``sms/status`` entries: ``messageid``, ``status``,
    optional ``localid`` and ``statustext``. ``BadReplyError`` on anything else.
    """
    try:
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), strict_parsing=True).items()}
    except (UnicodeDecodeError, ValueError) as exc:
        raise _bad_status(body) from exc
    return [_status_report(fields, body)]


def parse_status_push_json(body: bytes) -> list[WebhookItem]:
    """The same status callback as JSON: one ``sms/status``-shaped object, or a list of them (SMS-20)."""
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _bad_status(body) from exc
    if isinstance(document, Mapping) and isinstance(document.get("entries"), list):
        document = document["entries"]  # the REST envelope, should a push ever carry it
    entries = document if isinstance(document, list) else [document]
    if not entries or len(entries) > MAX_PUSHED_REPORTS:
        raise _bad_status(body)
    return [_status_report(entry, body) for entry in entries]


MAX_PUSHED_REPORTS = 500  # sms/status answers at most 500 ids a call (amircloner/kavenegar-node:README.md, code 414)


def _status_report(entry: object, body: bytes) -> DeliveryReport:
    if not isinstance(entry, Mapping):
        raise _bad_status(body)
    message_id, status = str(entry.get("messageid", "")), str(entry.get("status", ""))
    local, text = entry.get("localid"), entry.get("statustext")
    if not (
        message_id.isascii()
        and message_id.isdigit()
        and len(message_id) <= 20
        and int(message_id) > 0
        and status.isascii()
        and status.isdigit()
        and len(status) <= 4
    ):
        raise _bad_status(body)
    if local is not None and not isinstance(local, str | int) or text is not None and not isinstance(text, str):
        raise _bad_status(body)
    return _report(
        {
            "messageid": message_id,
            "status": status,
            "localid": local and str(local)[:100],
            "statustext": text[:200] if text else None,
        }
    )


def _bad_status(body: bytes) -> BadReplyError:
    return BadReplyError(
        "status push is not a form or JSON with a numeric messageid and status",
        raw=body,
        system=SYSTEM,
        operation="webhook",
    )


def _is_json(body: bytes, content_type: str) -> bool:
    return "json" in content_type.lower() or body.lstrip()[:1] in (b"{", b"[")


def parse_inbound_push(body: bytes) -> list[WebhookItem]:
    """Parse the form POST Kavenegar's "realtime receive URL" sends for one inbound SMS.

    Fields ``from``, ``to``, ``message`` and ``messageid`` (amircloner/kavenegar-node:README.md; only
    ``from`` and ``message`` are confirmed). A push without ``messageid`` gets an empty
    provider id, which the inbound service replaces with a derived one. Raises
    ``BadReplyError`` on anything else.
    """
    try:
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), strict_parsing=True).items()}
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadReplyError("push is not a UTF-8 form body", raw=body, system=SYSTEM, operation="webhook") from exc
    if not fields.get("from") or "message" not in fields:
        raise BadReplyError("push lacks 'from' or 'message'", raw=body, system=SYSTEM, operation="webhook")
    # Without a messageid the id stays empty: the inbound service derives one from the receipt
    # time, sender, line, text and position, so two identical texts stay two (issue 12, §2).
    provider_id = fields.get("messageid", "").strip()
    return [InboundSms(provider_id, e164_from_iran_panel(fields["from"]), fields.get("to", ""), fields["message"])]
