"""``X-Twilio-Signature`` checked against Twilio's published vectors.

The vectors (token, URL, parameters, expected signature) are the ones in the
official library's tests, twilio/twilio-python:tests/unit/test_request_validator.py;
the rules are Twilio's webhook-security page
(https://www.twilio.com/docs/usage/webhooks/webhooks-security).
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
import requests

from connectors.sms._twilio_signature import body_sha256, is_valid_twilio_signature
from connectors.sms.twilio import TwilioProvider, TwilioSettings

TOKEN = "12345"
URI = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
    "Caller": "+14158675309",
}
FORM = urlencode(PARAMS).encode()
JSON_BODY = b'{"property": "value", "boolean": true}'
JSON_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"
DUPLICATES = b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234"

#: (name, url, body, signature): every one is a genuine Twilio signature and must pass.
VALID = [
    ("plain form", URI, FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    ("duplicate form values, Twilio sorts them", URI, DUPLICATES, "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
    (
        "https URL with an explicit port, signed without it",
        URI.replace(".com", ".com:1234"),
        FORM,
        "RSOYDt4T1cUTdK1PDd93/VVr8B8=",
    ),
    (
        "http URL with an explicit port, signed with it",
        URI.replace(".com", ".com:1234").replace("https", "http"),
        FORM,
        "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
    ),
    ("https URL signed with the default port added", URI, FORM, "kvajT1Ptam85bY51eRf/AJRuM3w="),
    ("http URL signed with the default port added", URI.replace("https", "http"), FORM, "0ZXoZLH/DfblKGATFgpif+LLRf4="),
    ("JSON body with bodySHA256", f"{URI}&bodySHA256={JSON_HASH}", JSON_BODY, "a9nBmqA0ju/hNViExpshrM61xv4="),
]

#: (name, url, body, signature): each changes one thing of a valid request and must fail.
INVALID = [
    ("a form value changed", URI, FORM.replace(b"1234", b"1235"), "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    ("a form field added", URI, FORM + b"&Body=hi", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    ("one duplicate dropped", URI, b"Sid=CA123&SidAccount=AC123&Digits=5678", "IK+Dwps556ElfBT0I3Rgjkr1wJU="),
    ("the query changed", URI.replace("foo=1", "foo=2"), FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    ("the path changed", URI.replace("myapp", "other"), FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    ("the host changed", URI.replace("mycompany", "evil"), FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
    ("https signature on an http URL", URI.replace("https", "http"), FORM, "RSOYDt4T1cUTdK1PDd93/VVr8B8=x"),
    (
        "a JSON body changed under the same hash",
        f"{URI}&bodySHA256={JSON_HASH}",
        JSON_BODY.replace(b"true", b"false"),
        "a9nBmqA0ju/hNViExpshrM61xv4=",
    ),
    ("a JSON body whose hash is not in the URL", URI, JSON_BODY, "a9nBmqA0ju/hNViExpshrM61xv4="),
    ("a hash changed in the URL", f"{URI}&bodySHA256={JSON_HASH[:-1]}1", JSON_BODY, "a9nBmqA0ju/hNViExpshrM61xv4="),
    ("an empty signature", URI, FORM, ""),
    ("a signature that is not base64", URI, FORM, "not base64!"),
    ("a body that is not UTF-8", URI, b"\xff\xfe", "RSOYDt4T1cUTdK1PDd93/VVr8B8="),
]


@pytest.mark.parametrize("name, url, body, signature", VALID, ids=[v[0] for v in VALID])
def test_published_vectors_pass(name, url, body, signature):
    assert is_valid_twilio_signature(TOKEN, url, body, signature)


@pytest.mark.parametrize("name, url, body, signature", INVALID, ids=[v[0] for v in INVALID])
def test_tampered_requests_fail(name, url, body, signature):
    assert not is_valid_twilio_signature(TOKEN, url, body, signature)


@pytest.mark.parametrize("name, url, body, signature", VALID, ids=[v[0] for v in VALID])
def test_another_token_fails_every_vector(name, url, body, signature):
    assert not is_valid_twilio_signature("54321", url, body, signature)


def test_body_hash_vector():
    assert body_sha256(JSON_BODY) == JSON_HASH


@pytest.mark.parametrize("name, url, body, signature", VALID, ids=[v[0] for v in VALID])
def test_the_connector_accepts_genuine_webhooks(name, url, body, signature):
    """``services/sms/webhook_auth.py`` calls the connector's method: it must apply the same rules."""
    settings = TwilioSettings(account_sid="AC" + "a" * 32, auth_token=TOKEN)
    assert TwilioProvider(settings, session=requests.Session()).is_valid_signature(url, body, signature)
