"""Twilio's ``X-Twilio-Signature`` check, as Twilio documents it (pure; no I/O).

Rules (https://www.twilio.com/docs/usage/webhooks/webhooks-security, and the
behaviour the official library's tests pin down,
twilio/twilio-python:tests/unit/test_request_validator.py):

- The signed string is the full URL Twilio called, then, for a form body,
  every ``name`` + ``value`` pair sorted by name and, for a repeated name, by
  value, with no separators; HMAC-SHA1 keyed with the auth token, base64.
- A JSON body is not part of the signed string: Twilio puts its SHA-256 (hex)
  into the URL as ``bodySHA256``, which is signed; the body must hash to it.
- Twilio may sign the URL with or without the scheme's default port (or an
  explicit one), so the URL is tried as given, with its port removed and with
  the default port added. Only the URL's spelling varies: the body and the
  token never do.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from urllib.parse import parse_qs, parse_qsl, urlsplit, urlunsplit

DEFAULT_PORTS = {"https": 443, "http": 80}


def is_valid_twilio_signature(auth_token: str, url: str, body: bytes, signature: str) -> bool:
    """True when ``signature`` is Twilio's signature of this request (``url`` as Twilio called it)."""
    if not signature or not auth_token:
        return False
    try:
        text = body.decode("utf-8")
        declared_hash = parse_qs(urlsplit(url).query).get("bodySHA256")
    except (UnicodeDecodeError, ValueError):
        return False
    if declared_hash:
        if not _same(body_sha256(body), declared_hash[0]):
            return False
        pairs: list[tuple[str, str]] = []
    else:
        pairs = parse_qsl(text, keep_blank_values=True)
    return any(_same(compute_signature(auth_token, variant, pairs), signature) for variant in url_variants(url))


def _same(expected: str, given: str) -> bool:
    # Compared as bytes: compare_digest raises TypeError on a str with any character beyond ASCII,
    # and a forged header or query value may hold one.
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", errors="replace"))


def compute_signature(auth_token: str, url: str, pairs: list[tuple[str, str]]) -> str:
    """Base64 HMAC-SHA1 of ``url`` followed by the sorted, de-duplicated ``name`` + ``value`` pairs."""
    signed = url + "".join(name + value for name, value in sorted(set(pairs)))
    digest = hmac.new(auth_token.encode("utf-8"), signed.encode("utf-8"), hashlib.sha1).digest()
    return base64.b64encode(digest).decode("ascii")


def body_sha256(body: bytes) -> str:
    """The hex SHA-256 Twilio puts into ``bodySHA256`` for a JSON body."""
    return hashlib.sha256(body).hexdigest()


def url_variants(url: str) -> list[str]:
    """``url`` as given, without its port, and with the scheme's default port when it names none."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return [url]
    host = parts.hostname or ""
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    variants = [url, urlunsplit(parts._replace(netloc=prefix + host))]
    default = DEFAULT_PORTS.get(parts.scheme)
    if port is None and default is not None:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}:{default}")))
    return list(dict.fromkeys(variants))
