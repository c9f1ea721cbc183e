"""Authenticating and reading a provider's inbound push (SMS-02, -21).

Iranian providers sign nothing, so each account's push URL carries a secret
(``?secret=...`` in the URL configured in the provider's panel, or the
``X-Comms-Webhook-Secret`` header where the provider can send headers). The
secret lives in the app setting ``COMMS_SMS_INBOUND_SECRET_<ACCOUNT KEY>``
(upper-case, non-alphanumerics as ``_``); an account without one accepts no
push at all. Comparison is constant-time; the URL and the secret are never logged.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Mapping

from connectors.errors import BadReplyError
from connectors.settings import Secret
from connectors.sms.base import SmsProvider
from domain.sms import InboundSms

MAX_BODY_BYTES = 64 * 1024
HEADER = "X-Comms-Webhook-Secret"
SETTING_PREFIX = "COMMS_SMS_INBOUND_SECRET_"


class WebhookRefused(ValueError):
    """A push that is not usable (too large, malformed, not an inbound message): answer 400, keep the body."""


def setting_name(account_key: str) -> str:
    return SETTING_PREFIX + re.sub(r"[^A-Z0-9]", "_", account_key.upper())


def secrets_from(environ: Mapping[str, str]) -> dict[str, Secret]:
    """Every inbound secret in the app settings, by upper-cased setting suffix."""
    return {name[len(SETTING_PREFIX):]: Secret(value) for name, value in environ.items()
            if name.startswith(SETTING_PREFIX) and value}


def is_authentic(account_key: str, secrets: Mapping[str, Secret], headers: Mapping[str, str],
                 params: Mapping[str, str]) -> bool:
    """True when the push carries the account's secret (header or query); never for an account without one."""
    expected = secrets.get(setting_name(account_key)[len(SETTING_PREFIX):])
    offered = _header(headers, HEADER) or params.get("secret") or ""
    if expected is None or not expected.reveal() or not offered:
        return False
    return hmac.compare_digest(offered.encode("utf-8"), expected.reveal().encode("utf-8"))


def read_push(provider: SmsProvider, body: bytes, content_type: str) -> list[InboundSms]:
    """The inbound messages in a push; raises :class:`WebhookRefused` with a short reason."""
    if len(body) > MAX_BODY_BYTES:
        raise WebhookRefused(f"the body is larger than {MAX_BODY_BYTES} bytes")
    if not body:
        raise WebhookRefused("the body is empty")
    try:
        items = provider.parse_webhook(body, content_type)
    except BadReplyError as exc:
        raise WebhookRefused(f"the body is not an inbound message: {exc}") from exc
    messages = [item for item in items if isinstance(item, InboundSms)]
    if not messages:
        raise WebhookRefused("the body holds no inbound message")
    return messages


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return None
