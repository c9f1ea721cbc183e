"""Rendering a described panel's requests and reading its replies, with the escaping each body kind needs.

Pure functions over :mod:`connectors.sms.panel_description`: placeholders are
replaced by plain substitution (never ``str.format`` or evaluation), and each
value is escaped where it lands: percent-encoded in a URL, form- or
query-encoded by ``requests`` in a form or query body, a JSON string (or a
boolean for a lone ``{flash}``) in a JSON body, XML-escaped in a SOAP
envelope. A header value with a line break is refused. Replies are read by a
plain JSON path, an XPath over XML parsed without DTDs or entities, or a token
of a text reply.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape

from connectors.sms.panel_description import PLACEHOLDER_TOKEN, BodyKind, Operation, Reply, ReplyFormat, safe_xml

#: The largest reply read, in bytes; a bigger one is a bad reply.
MAX_REPLY_BYTES = 1024 * 1024
_XML_ATTR = {'"': "&quot;", "'": "&apos;"}


@dataclass(frozen=True)
class Request:
    """One rendered call, ready for ``Wire.request``."""

    method: str
    url: str
    headers: dict[str, str]
    kwargs: dict[str, Any]


def substitute(template: str, values: Mapping[str, str], escape_value=lambda v: v) -> str:
    """``template`` with each ``{name}`` replaced by ``escape_value(values[name])``; ``{{`` / ``}}`` are braces."""

    def one(match) -> str:
        token = match.group(0)
        if token in ("{{", "}}"):
            return token[0]
        return escape_value(values[match.group(1)])

    return PLACEHOLDER_TOKEN.sub(one, template)


def render(operation: Operation, values: Mapping[str, str], base_url: str) -> Request:
    """The request ``operation`` describes, with ``values`` in its placeholders; ``ValueError`` for a bad header."""
    url = substitute(operation.url, values, _url_value)
    if url.startswith("/"):
        url = base_url.rstrip("/") + url
    headers = {name: substitute(value, values) for name, value in operation.headers.items()}
    if any("\r" in v or "\n" in v for v in headers.values()):
        raise ValueError("a header value may not hold a line break")
    kwargs: dict[str, Any] = {}
    template = operation.template
    if operation.body in (BodyKind.FORM, BodyKind.QUERY):
        fields = {substitute(k, values): substitute(v, values) for k, v in template.items()}
        kwargs["data" if operation.body is BodyKind.FORM else "params"] = fields
    elif operation.body is BodyKind.JSON:
        kwargs["data"] = json.dumps(_json_value(template, values), ensure_ascii=False).encode("utf-8")
        headers.setdefault("Content-Type", "application/json; charset=utf-8")
    elif operation.body is BodyKind.SOAP:
        kwargs["data"] = substitute(template, values, lambda v: escape(v, _XML_ATTR)).encode("utf-8")
        headers.setdefault("Content-Type", "text/xml; charset=utf-8")
        if operation.soap_action:
            headers.setdefault("SOAPAction", f'"{substitute(operation.soap_action, values)}"')
    return Request(operation.method, url, headers, kwargs)


def _url_value(value: str) -> str:
    """``value`` percent-encoded for a URL; ``.`` and ``..`` too, which ``quote`` leaves as they are and the
    client would then resolve as dot segments (``/status/..`` asks for the parent path)."""
    encoded = quote(value, safe="")
    return encoded.replace(".", "%2E") if not encoded.strip(".") else encoded


def _json_value(template: Any, values: Mapping[str, str]) -> Any:
    if isinstance(template, str):
        if template == "{flash}":
            return values["flash"] == "true"
        return substitute(template, values)
    if isinstance(template, dict):
        return {substitute(k, values): _json_value(v, values) for k, v in template.items()}
    if isinstance(template, list):
        return [_json_value(v, values) for v in template]
    return template


def decode(reply: Reply, content: bytes) -> Any:
    """The reply as a value to read paths from; ``ValueError`` when it is not what the description says."""
    if len(content) > MAX_REPLY_BYTES:
        raise ValueError(f"reply longer than {MAX_REPLY_BYTES} bytes")
    if reply.format is ReplyFormat.JSON:
        try:
            return json.loads(content)
        except RecursionError:
            raise ValueError("reply nested too deep to read") from None
    if reply.format is ReplyFormat.XML:
        return safe_xml(content)
    return content.decode("utf-8").strip()


def read(reply: Reply, document: Any, path: str | None) -> str | None:
    """The value at ``path`` as text (``true``/``false`` for booleans, ``12`` for ``12.0``), or ``None``."""
    if path is None:
        return None
    if reply.format is ReplyFormat.JSON:
        value = _json_at(document, path)
    elif reply.format is ReplyFormat.XML:
        value = _xpath_at(document, path)
    else:
        value = _token_at(document, path, reply.separator)
    return _text(value)


def items(reply: Reply, document: Any) -> list[Any]:
    """The list the ``items`` path names (inbound listings); an empty list when it is absent."""
    if reply.format is ReplyFormat.JSON:
        found = _json_at(document, reply.items or "$")
        return found if isinstance(found, list) else ([] if found is None else [found])
    if reply.format is ReplyFormat.XML:
        found = document.xpath(reply.items)
        return list(found) if isinstance(found, list) else []
    return [line for line in document.splitlines() if line.strip()]


def amount(text: str) -> Decimal:
    """A credit as ``Decimal``; ``ValueError`` for anything else."""
    value = Decimal(text)
    if not value.is_finite():
        raise ValueError(f"not an amount: {text!r}")
    return value


def _json_at(document: Any, path: str) -> Any:
    current = document
    for part in _json_parts(path):
        if isinstance(part, int):
            current = current[part] if isinstance(current, list) and part < len(current) else None
        else:
            current = current.get(part) if isinstance(current, dict) else None
        if current is None:
            return None
    return current


def _json_parts(path: str) -> list[str | int]:
    path = path.removeprefix("$").removeprefix(".")
    parts: list[str | int] = []
    for piece in path.split(".") if path else []:
        name, *indexes = piece.split("[")
        parts += [name] if name else []
        parts += [int(i.rstrip("]")) for i in indexes]
    return parts


def _xpath_at(element: Any, path: str) -> Any:
    found = element.xpath(path)
    if isinstance(found, list):
        if not found:
            return None
        first = found[0]
        return first if isinstance(first, str) else ("".join(first.itertext()) if hasattr(first, "itertext") else first)
    return found


def _token_at(text: str, path: str, separator: str | None) -> str | None:
    if path == "body":
        return text or None
    index = int(path[len("token[") : -1])
    tokens = [t.strip() for t in text.split(separator)] if separator else text.split()
    return tokens[index] if index < len(tokens) else None


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value).strip()
    return text or None
