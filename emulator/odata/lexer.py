"""Tokenizer for OData expressions: ``$filter`` bodies and record references.

Literals follow the OData ABNF as Dataverse accepts it: single-quoted strings
with ``''`` for a quote, bare GUIDs, integers, decimals, ``true``/``false``/
``null``, ISO dates and date-times, ``@alias`` parameter references and, inside
``[...]`` arrays, JSON double-quoted strings (``PropertyValues=["a","b"]``).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from emulator.errors import ODataError, bad_request

IDENT = "ident"
STRING = "string"
INT = "int"
DECIMAL = "decimal"
GUID = "guid"
DATE = "date"
DATETIME = "datetime"
ALIAS = "alias"
PUNCT = "punct"
END = "end"

_GUID = r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}(?![0-9A-Za-z_])"
_DATETIME = r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,7})?)?(?:Z|[+-]\d{2}:\d{2})?(?![0-9A-Za-z_])"
_DATE = r"\d{4}-\d{2}-\d{2}(?![0-9A-Za-z_:T])"
_TOKEN = re.compile(
    rf"""
    (?P<ws>[ \t\r\n]+)
  | (?P<{GUID}>{_GUID})
  | (?P<{DATETIME}>{_DATETIME})
  | (?P<{DATE}>{_DATE})
  | (?P<{DECIMAL}>-?\d+\.\d+(?:[eE][+-]?\d+)?(?![0-9A-Za-z_]))
  | (?P<{INT}>-?\d+(?![0-9A-Za-z_.]))
  | (?P<{STRING}>'(?:[^']|'')*')
  | (?P<jstring>"(?:[^"\\]|\\.)*")
  | (?P<{ALIAS}>@[A-Za-z_][A-Za-z0-9_]*)
  | (?P<{IDENT}>[A-Za-z_][A-Za-z0-9_]*(?:[./][A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<{PUNCT}>[(),\[\]=])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    """One token: its ``kind``, its decoded ``value`` and where it starts in the text."""

    kind: str
    value: str
    position: int


def tokenize(text: str, what: str = "$filter") -> list[Token]:
    """Split ``text`` into tokens, ending with an ``END`` token.

    Raises ODataError 400 naming the position of the first character no token
    can start with (an unterminated literal, a NUL byte, an operator symbol).
    """
    if "\x00" in text:
        raise bad_request(f"The {what} contains a NUL character at position {text.index(chr(0))}.")
    tokens: list[Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _syntax_error(text, position, what)
        kind = match.lastgroup or ""
        raw = match.group()
        if kind != "ws":
            tokens.append(_make_token(kind, raw, position, text, what))
        position = match.end()
    tokens.append(Token(END, "", len(text)))
    return tokens


def _make_token(kind: str, raw: str, position: int, text: str, what: str) -> Token:
    if kind == STRING:
        return Token(STRING, raw[1:-1].replace("''", "'"), position)
    if kind == "jstring":
        try:
            return Token(STRING, json.loads(raw), position)
        except ValueError:
            raise _syntax_error(text, position, what) from None
    return Token(kind, raw, position)


def _syntax_error(text: str, position: int, what: str) -> ODataError:
    if text[position] == "'":
        # Dataverse's own wording for a quote that is not doubled (reference §1.9).
        return bad_request(f"There is an unterminated literal at position {position} in '{_shorten(text)}'.")
    return bad_request(
        f"Syntax error at position {position} in {what} '{_shorten(text)}': unexpected character {text[position]!r}."
    )


def _shorten(text: str, limit: int = 200) -> str:
    printable = text.replace("\x00", "\\0")
    return printable if len(printable) <= limit else printable[:limit] + "..."
