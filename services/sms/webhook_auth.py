"""Authenticating provider delivery-report webhooks (SMS-20).

Iranian providers sign nothing, so each account's webhook URL carries a
token: ``/api/sms/dlr/<account key>?token=<token>``, where the token is an
HMAC-SHA256 of the account key under the app setting
``COMMS_SMS_WEBHOOK_KEY``. Nothing per account is stored, a token works only
for its own account, and rotating the app setting revokes every URL at once.
Providers whose connector checks a signature (Twilio's ``X-Twilio-Signature``)
are accepted on a valid signature as well.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping

from connectors.settings import Secret
from connectors.sms import SmsProvider

TOKEN_PARAMETER = "token"
SIGNATURE_HEADERS = ("X-Twilio-Signature",)


def webhook_token(key: Secret, account_key: str) -> str:
    """The URL token of one account (43 URL-safe characters)."""
    digest = hmac.new(key.reveal().encode("utf-8"), f"sms-dlr:{account_key}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii").rstrip("=")


def is_authentic(provider: SmsProvider, account_key: str, key: Secret | None, *, url: str,
                 params: Mapping[str, str], headers: Mapping[str, str], body: bytes) -> bool:
    """True when the request carries this account's token or a valid provider signature."""
    token = params.get(TOKEN_PARAMETER)
    if key and token and hmac.compare_digest(token.encode(), webhook_token(key, account_key).encode()):
        return True
    check = getattr(provider, "is_valid_signature", None)
    for header in SIGNATURE_HEADERS:
        signature = headers.get(header) or headers.get(header.lower())
        if signature and callable(check):
            return bool(check(url, body, signature))
    return False
