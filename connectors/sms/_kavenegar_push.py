"""Kavenegar's webhook pushes: the per-line status callback (form or JSON) and the realtime inbound text (SMS-02, -20).

Neither payload is documented (amircloner/kavenegar-node:README.md,
docs/sms-providers.md): a status callback is read with the fields of
``sms/status`` entries, an inbound push with ``from``, ``to``, ``message`` and
``messageid``. Anything else is a ``BadReplyError`` carrying the raw body.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import parse_qs

from connectors.errors import BadReplyError
from connectors.sms._kavenegar_codes import SYSTEM, status_report
from connectors.sms.base import WebhookItem
from domain.numbers import e164_from_iran_panel
from domain.sms import DeliveryReport, InboundSms

MAX_PUSHED_REPORTS = 500  # sms/status answers at most 500 ids a call (amircloner/kavenegar-node:README.md, code 414)


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
    return status_report(
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


def is_json(body: bytes, content_type: str) -> bool:
    """True when the push says or looks like JSON."""
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
