"""Record references: the ``(...)`` of ``set(<guid>)`` / ``set(key='v',other=5)`` and ``@odata.bind`` URLs.

Syntax per reference §1.6: a bare GUID is the primary key; ``name=value``
pairs (comma separated) are a named primary key or an alternate key, strings
single-quoted with ``''`` for a quote, GUIDs and numbers bare.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from emulator.errors import bad_request
from emulator.odata import lexer
from emulator.odata.ast import literal_from_token

MAX_REF_LENGTH = 8_192
_SYNTAX = "Bad Request - Error in query syntax."
_BIND_PATH = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\((.*)\)\Z", re.DOTALL)
_VERSIONED_ROOT = re.compile(r"\A.*?/api/data/v\d+(?:\.\d+)?/", re.DOTALL)


@dataclass(frozen=True)
class RecordRef:
    """How a URL addresses one record: by ``id`` (lower-case GUID) or by ``key`` values.

    Exactly one of the two is set. Key values are ``str``, ``int``,
    ``Decimal``, ``bool`` or, for a GUID literal, a lower-case ``str`` marked
    in ``guid_keys``.
    """

    id: str | None = None
    key: dict[str, object] | None = None
    guid_keys: frozenset[str] = frozenset()

    def describe(self) -> str:
        """The reference as it would appear in a URL, for messages."""
        if self.id is not None:
            return self.id
        return ",".join(
            f"{name}={value if name in self.guid_keys else _render(value)}" for name, value in (self.key or {}).items()
        )


def parse_record_ref(text: str) -> RecordRef:
    """Parse the text between the parentheses of ``set(...)``.

    Raises ODataError 400 ("Bad Request - Error in query syntax.") when the
    text is neither a GUID nor a list of ``name=literal`` pairs.
    """
    if len(text) > MAX_REF_LENGTH:
        raise bad_request(f"{_SYNTAX} The key is longer than {MAX_REF_LENGTH} characters.")
    tokens = lexer.tokenize(text, what="key")
    if len(tokens) == 2 and tokens[0].kind == lexer.GUID:
        return RecordRef(id=tokens[0].value.lower())
    key: dict[str, object] = {}
    guid_keys: set[str] = set()
    index = 0
    while True:
        name, equals = tokens[index], tokens[index + 1] if index + 1 < len(tokens) else tokens[-1]
        if name.kind != lexer.IDENT or equals.value != "=" or equals.kind != lexer.PUNCT or name.value in key:
            raise bad_request(_SYNTAX)
        literal = literal_from_token(tokens[index + 2]) if index + 2 < len(tokens) else None
        if literal is None or literal.kind == "null":
            raise bad_request(_SYNTAX)
        key[name.value] = literal.value
        if literal.kind == "guid":
            guid_keys.add(name.value)
        index += 3
        if tokens[index].kind == lexer.END:
            break
        if tokens[index].value != ",":
            raise bad_request(_SYNTAX)
        index += 1
    return RecordRef(key=key, guid_keys=frozenset(guid_keys))


def parse_entity_url(url: str) -> tuple[str, RecordRef]:
    """Split an ``@odata.bind`` value into entity set and reference.

    Accepts ``/contacts(<guid>)``, ``contacts(<guid>)``, absolute service URLs
    and alternate-key forms. Raises ODataError 400 for anything else.
    """
    path = _VERSIONED_ROOT.sub("", url, count=1).lstrip("/")
    match = _BIND_PATH.match(path)
    if match is None:
        raise bad_request(f"The @odata.bind value '{url}' is not a reference like '/contacts(<id>)'.")
    return match.group(1), parse_record_ref(match.group(2))


def _render(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal | int):
        return str(value)
    return repr(value)
