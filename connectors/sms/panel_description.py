"""How an administrator describes an SMS panel the suite has no adapter for (SMS-13, -14, -18, -20, -21).

A description is JSON kept on the provider-account row (column *Panel
Description*); the ``configurable`` connector speaks to the panel from it.
It names, per operation (``send``, ``status``, ``credit``, ``inbound``), the
URL, the method, the body kind and its template, and where the reply keeps the
message id, the status code, the credit or the inbound messages. ``null`` (or
leaving the operation out) says the panel does not offer it.

Templates hold placeholders such as ``{to}``, ``{text}`` or ``{password}``;
nothing else is interpreted (no expressions, no attribute access, no
``str.format``). ``{{`` and ``}}`` are literal braces. Each body kind escapes
the values its own way when the message is rendered (see
:mod:`connectors.sms._panel_render`).

This module is the model: what each part may say, checked field by field
(reply paths, header names, a body kind's template, http(s) addresses).
:func:`connectors.sms.panel_validation.validate_description` checks a whole
document against it and across its parts.
"""

from __future__ import annotations

import enum
import re
from typing import Any, Literal
from urllib.parse import urlsplit

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.sms import DeliveryStatus

MAX_CODES = 500
MAX_PATH_CHARS = 300

PLACEHOLDER_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_JSON_PATH = re.compile(r"(\$\.)?[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[\d{1,4}\])*|\$")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")
_TEXT_PATH = re.compile(r"body|token\[\d{1,2}\]")
_INBOUND_FIELDS = frozenset({"id", "sender", "line", "text", "received_at"})


class BodyKind(enum.StrEnum):
    NONE = "none"
    FORM = "form"
    JSON = "json"
    QUERY = "query"
    SOAP = "soap"


class ReplyFormat(enum.StrEnum):
    JSON = "json"
    XML = "xml"
    TEXT = "text"


class Outcome(enum.StrEnum):
    """What a provider code says about the call."""

    ACCEPTED = "accepted"
    REFUSED = "refused"
    THROTTLED = "throttled"
    UNAVAILABLE = "unavailable"
    AUTH = "auth"


class CodeRule(BaseModel):
    """One row of the status-code table: the provider's code means ``outcome``, for ``reason``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome
    reason: str | None = Field(default=None, max_length=300)


class Reply(BaseModel):
    """Where the reply keeps what we read: JSON paths (``data.ids[0]``), XPaths, or text tokens.

    ``status`` is the provider's code, looked up in ``codes``: a refused,
    throttled, unavailable or auth code decides the error. Any other reply is a
    success only when the HTTP status is 2xx and the operation's own field
    (``message_id``, a number when ``id_kind`` says so; ``credit``; ``delivery``;
    ``items``) is there; otherwise it is a bad reply, or a refusal when
    ``unlisted`` is ``refused``.

    A status reply may also name ``report_id``, where it repeats the message id
    it reports on (a different id is a bad reply, never a report for the id
    asked), and ``delivery_absent: not_yet`` for panels that leave the state
    out until they have one: such a reply, with a code the table calls
    accepted, is an UNKNOWN report (the delivery tracker asks again later).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: ReplyFormat = ReplyFormat.JSON
    separator: str | None = Field(default=None, min_length=1, max_length=3)
    status: str | None = None
    reason: str | None = None
    message_id: str | None = None
    id_kind: Literal["text", "number"] = "text"
    credit: str | None = None
    delivery: str | None = None
    report_id: str | None = None
    delivery_absent: Literal["bad_reply", "not_yet"] = "bad_reply"
    items: str | None = None
    item: dict[str, str] = Field(default_factory=dict)
    codes: dict[str, CodeRule] = Field(default_factory=dict, max_length=MAX_CODES)
    delivery_codes: dict[str, DeliveryStatus] = Field(default_factory=dict, max_length=MAX_CODES)
    unlisted: Literal["bad_reply", "refused"] = "bad_reply"

    @model_validator(mode="after")
    def _paths_fit_the_format(self) -> Reply:
        if set(self.item) - _INBOUND_FIELDS:
            raise ValueError(f"item may name only {', '.join(sorted(_INBOUND_FIELDS))}")
        for name in ("status", "reason", "message_id", "credit", "delivery", "report_id", "items"):
            _check_path(self.format, name, getattr(self, name))
        for name, path in self.item.items():
            _check_path(self.format, f"item.{name}", path)
        if self.separator is not None and self.format is not ReplyFormat.TEXT:
            raise ValueError("separator applies to text replies only")
        return self


class Operation(BaseModel):
    """One call to the panel: URL (absolute, or a path after the account's API address), method, body and reply."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    url: str = Field(min_length=1, max_length=2000)
    method: Literal["GET", "POST"] = "POST"
    body: BodyKind = BodyKind.NONE
    template: Any = None
    headers: dict[str, str] = Field(default_factory=dict, max_length=20)
    soap_action: str | None = Field(default=None, max_length=500)
    reply: Reply = Field(default_factory=Reply)

    @model_validator(mode="after")
    def _template_fits_the_body(self) -> Operation:
        if self.body is BodyKind.NONE and self.template is not None:
            raise ValueError("a body kind of none takes no template")
        if self.body in (BodyKind.FORM, BodyKind.QUERY) and not _flat_strings(self.template):
            raise ValueError(f"a {self.body.value} template is an object of names to text values")
        if self.body is BodyKind.SOAP and not isinstance(self.template, str):
            raise ValueError("a soap template is the envelope as text")
        if self.body is BodyKind.JSON and self.template is None:
            raise ValueError("a json body needs a template")
        if self.body in (BodyKind.FORM, BodyKind.JSON, BodyKind.SOAP) and self.method == "GET":
            raise ValueError(f"a {self.body.value} body needs POST")
        for name in self.headers:
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header name {name!r} is not a valid HTTP header name")
        return self


class PanelDescription(BaseModel):
    """A whole panel: its name, default address, how it writes numbers, and its four operations."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    base_url: str | None = Field(default=None, max_length=500)
    recipient_format: Literal["e164", "international", "national"] = "national"
    credit_unit: str = Field(default="IRR", min_length=1, max_length=20)
    send: Operation
    status: Operation | None = None
    credit: Operation | None = None
    inbound: Operation | None = None

    @field_validator("base_url")
    @classmethod
    def _base_is_http(cls, value: str | None) -> str | None:
        if value is not None:
            check_http_url(value)
        return value

    def operation(self, name: str) -> Operation | None:
        """The operation called ``name``, or ``None`` when the panel does not offer it."""
        return getattr(self, name)


def safe_xml(content: bytes) -> etree._Element:
    """Parse XML without DTDs, entities or network access; ``ValueError`` for anything else."""
    parser = etree.XMLParser(
        resolve_entities=False, load_dtd=False, no_network=True, huge_tree=False, remove_comments=True, remove_pis=True
    )
    try:
        root = etree.fromstring(content, parser)
    except etree.XMLSyntaxError as exc:
        raise ValueError(str(exc).split("\n", 1)[0][:200]) from None
    if root is None:
        raise ValueError("empty document")
    if root.getroottree().docinfo.doctype:
        raise ValueError("a DTD is not allowed")
    return root


def check_http_url(url: str) -> None:
    """``ValueError`` unless ``url`` is an http(s) address with a host and no user or password."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// address with a host")
    if parts.username or parts.password:
        raise ValueError("may not carry a user or password (use the placeholders)")


def _check_path(format: ReplyFormat, name: str, path: str | None) -> None:
    if path is None:
        return
    if len(path) > MAX_PATH_CHARS:
        raise ValueError(f"{name}: a path is at most {MAX_PATH_CHARS} characters")
    if format is ReplyFormat.JSON and not _JSON_PATH.fullmatch(path):
        raise ValueError(f"{name}: {path!r} is not a JSON path such as data.ids[0]")
    if format is ReplyFormat.TEXT and not _TEXT_PATH.fullmatch(path):
        raise ValueError(f"{name}: a text reply is read as body or token[N], not {path!r}")
    if format is ReplyFormat.XML:
        if "$" in path:
            raise ValueError(f"{name}: XPath variables are not allowed")
        try:
            etree.XPath(path)(etree.Element("probe"))  # some syntax errors show only when evaluated
        except etree.XPathError:
            raise ValueError(f"{name}: {path!r} is not an XPath") from None


def _flat_strings(value: Any) -> bool:
    return isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in value.items())


__all__ = [
    "BodyKind",
    "CodeRule",
    "Operation",
    "Outcome",
    "PanelDescription",
    "Reply",
    "ReplyFormat",
    "check_http_url",
    "safe_xml",
]
