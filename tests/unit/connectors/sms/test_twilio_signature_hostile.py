"""Hostile ``X-Twilio-Signature`` headers and ``bodySHA256`` values: a forged request is refused, never an exception.

The bridge reads header bytes as ISO-8859-1, so a signature header may hold any
character up to U+00FF; ``hmac.compare_digest`` raises ``TypeError`` on a ``str``
holding anything beyond ASCII, which must not escape the check.
"""

from __future__ import annotations

from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.sms._twilio_signature import is_valid_twilio_signature

TOKEN = "12345"
URI = "https://mycompany.com/myapp.php?foo=1&bar=2"
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(signature=st.text(max_size=40), body=st.binary(max_size=60))
def test_any_signature_header_is_true_or_false(signature: str, body: bytes) -> None:
    assert is_valid_twilio_signature(TOKEN, URI, body, signature) in (True, False)


def test_a_latin_1_signature_header_is_refused() -> None:
    assert is_valid_twilio_signature(TOKEN, URI, b"From=%2B1", "\xe9" * 28) is False


@FAST
@given(declared=st.text(max_size=70))
def test_any_declared_body_hash_is_true_or_false(declared: str) -> None:
    url = f"{URI}&bodySHA256={quote(declared)}"
    assert is_valid_twilio_signature(TOKEN, url, b"{}", "c2lnbmF0dXJl") is False


def test_a_non_ascii_declared_body_hash_is_refused() -> None:
    assert is_valid_twilio_signature(TOKEN, URI + "&bodySHA256=%C3%A9", b"{}", "c2lnbmF0dXJl") is False
