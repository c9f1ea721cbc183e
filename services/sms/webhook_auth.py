"""Authenticating provider webhooks: delivery reports (SMS-20) and inbound texts (SMS-02).

Iranian providers sign nothing, so each account's webhook URLs carry a token:
``/api/sms/dlr/<account key>?token=<t1>`` and ``/api/sms/inbound/<account key>?token=<t2>``.
Each token is an HMAC-SHA256, under the app setting ``COMMS_SMS_WEBHOOK_KEY``,
of the endpoint, the account key and the account's *Webhook Key Generation*
(a column-secured column of the provider row that no sending role can read).
So a token opens one endpoint of one account: a delivery-report URL cannot
post inbound texts, and neither opens another account. Raising the generation
revokes both URLs of that account at once; changing the app setting revokes
every URL. Tokens are compared in constant time.

Providers that sign their requests (their connector has ``is_valid_signature``,
e.g. Twilio's ``X-Twilio-Signature``) are accepted on a valid signature only:
a token is not enough for them, so a URL copied from a settings column cannot
be used to forge their reports or texts.
"""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
from collections.abc import Mapping

from connectors.settings import Secret
from connectors.sms import SmsProvider

TOKEN_PARAMETER = "token"
SIGNATURE_HEADERS = ("X-Twilio-Signature",)


class Endpoint(enum.Enum):
    """The webhook endpoints a token may open; the value is the route segment."""

    DELIVERY = "dlr"
    INBOUND = "inbound"


def webhook_token(key: Secret, account_key: str, endpoint: Endpoint, generation: int = 0) -> str:
    """The URL token of one endpoint of one account at one generation (43 URL-safe characters).

    Generation 0 keeps the delivery-report token of earlier releases, so existing
    delivery URLs go on working; inbound URLs need the new per-endpoint token.
    """
    message = f"sms-{endpoint.value}:{account_key}" + (f":{generation}" if generation else "")
    digest = hmac.new(key.reveal().encode("utf-8"), message.encode("utf-8"), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def is_signing(provider: SmsProvider) -> bool:
    """True when the provider signs its webhook requests (then only a valid signature is accepted)."""
    return callable(getattr(provider, "is_valid_signature", None))


def is_authentic(
    provider: SmsProvider,
    account_key: str,
    key: Secret | None,
    *,
    endpoint: Endpoint,
    generation: int,
    url: str,
    params: Mapping[str, str],
    headers: Mapping[str, str],
    body: bytes,
) -> bool:
    """True when the request carries this endpoint's token for the account, or the provider's valid signature."""
    if is_signing(provider):
        for header in SIGNATURE_HEADERS:
            signature = headers.get(header) or headers.get(header.lower())
            if signature:
                return bool(provider.is_valid_signature(url, body, signature))  # type: ignore[attr-defined]
        return False
    token = params.get(TOKEN_PARAMETER)
    if key is None or not token:
        return False
    expected = webhook_token(key, account_key, endpoint, generation)
    return hmac.compare_digest(token.encode("utf-8"), expected.encode("ascii"))
