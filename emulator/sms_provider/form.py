"""Form bodies as Kavenegar's ASP.NET front end reads them, official .NET SDK shapes included.

The .NET SDK (kavenegar/kavenegar-dotnet:Kavenegar/KavenegarApi.cs) writes every pair as
``key=value&``, so a body ends with ``&``, and encodes texts with ``HttpUtility.UrlEncodeUnicode``,
which writes a non-ASCII character as ``%uXXXX`` (UTF-16 units; a surrogate pair as two).
ASP.NET decodes both; so does this. Bytes that are not UTF-8 and a lone surrogate are refused
(``ValueError``), which the server answers with Kavenegar's 422.
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote_to_bytes

_UNICODE_ESCAPES = re.compile(r"(?:%u[0-9a-fA-F]{4})+")


def parse_form(body: str) -> list[tuple[str, str]]:
    """``name=value`` pairs of a form body or query; empty segments (a trailing ``&``) are skipped."""
    pairs = []
    for segment in body.split("&"):
        if not segment:
            continue
        name, _, value = segment.partition("=")
        pairs.append((_decode(name), _decode(value)))
    return pairs


def _decode(text: str) -> str:
    """``+`` is a space, ``%uXXXX`` a UTF-16 unit, ``%XX`` a UTF-8 byte; an invalid escape stays as written."""
    text = _UNICODE_ESCAPES.sub(_utf16_as_utf8_escapes, text.replace("+", " "))
    return unquote_to_bytes(text).decode("utf-8")


def _utf16_as_utf8_escapes(match: re.Match[str]) -> str:
    units = bytes.fromhex(match.group(0).replace("%u", "").replace("%U", ""))
    return quote(units.decode("utf-16-be"), safe="")
