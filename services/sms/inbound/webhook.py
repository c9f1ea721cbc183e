"""Reading a provider's inbound push (SMS-02, -21), after it is authenticated.

Authentication is ``services.sms.webhook_auth``: the push URL configured in
the provider's panel carries the account's *inbound* token
(``/api/sms/inbound/<account key>?token=...``; a delivery-report token does
not open it), or the provider signs the request. Bodies are bounded and
parsed by the account's own connector; the URL is never logged.
"""

from __future__ import annotations

from connectors.errors import BadReplyError
from connectors.sms.base import SmsProvider
from domain.sms import InboundSms

MAX_BODY_BYTES = 64 * 1024


class WebhookRefused(ValueError):
    """A push that is not usable (too large, malformed, not an inbound message): answer 400, keep the body."""


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
