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

:func:`validate_description` is the check run when a row is saved and when a
connector is built: it refuses oversized or deeply nested documents, unknown
placeholders, placeholders in a URL's scheme or host, SOAP templates with a
DTD or that are not XML, reply paths that are not a plain JSON path or an
XPath, and returns errors that name the field path (``send.reply.message_id``).
"""

from __future__ import annotations

import enum
import json
import re
from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

from lxml import etree
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from domain.sms import DeliveryStatus

#: The largest description accepted, in characters of JSON.
MAX_DESCRIPTION_CHARS = 64 * 1024
MAX_DEPTH = 12
MAX_CODES = 500
MAX_PATH_CHARS = 300

#: The placeholders each operation may use.
PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    "send": frozenset({"to", "text", "sender", "our_id", "username", "password", "flash"}),
    "status": frozenset({"message_id", "username", "password"}),
    "credit": frozenset({"username", "password"}),
    "inbound": frozenset({"username", "password"}),
}
OPERATIONS = tuple(PLACEHOLDERS)

PLACEHOLDER_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_JSON_PATH = re.compile(r"(\$\.)?[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*|\[\d{1,4}\])*|\$")
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,100}")
_TEXT_PATH = re.compile(r"body|token\[\d{1,2}\]")
_INBOUND_FIELDS = frozenset({"id", "sender", "line", "text", "received_at"})


class DescriptionError(ValueError):
    """A description that cannot be used; ``errors`` are ``"field.path: what is wrong"`` lines."""

    def __init__(self, errors: list[str]):
        super().__init__("the panel description is not valid: " + "; ".join(errors))
        self.errors = errors


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
            _check_http_url(value)
        return value

    def operation(self, name: str) -> Operation | None:
        """The operation called ``name``, or ``None`` when the panel does not offer it."""
        return getattr(self, name)


def validate_description(source: str | bytes | Mapping[str, Any]) -> PanelDescription:
    """The description in ``source`` (JSON text or a decoded mapping), or :class:`DescriptionError`."""
    if isinstance(source, (str, bytes)):
        if len(source) > MAX_DESCRIPTION_CHARS:
            raise DescriptionError([f"(document): longer than {MAX_DESCRIPTION_CHARS} characters"])
        try:
            data = json.loads(source)
        except (ValueError, RecursionError) as exc:
            raise DescriptionError([f"(document): not JSON ({type(exc).__name__})"]) from None
    else:
        data = source
        if len(json.dumps(data, default=str)) > MAX_DESCRIPTION_CHARS:
            raise DescriptionError([f"(document): longer than {MAX_DESCRIPTION_CHARS} characters"])
    if _depth(data) > MAX_DEPTH:
        raise DescriptionError([f"(document): nested deeper than {MAX_DEPTH} levels"])
    if not isinstance(data, dict):
        raise DescriptionError(["(document): must be a JSON object"])
    try:
        description = PanelDescription.model_validate(data)
    except ValidationError as exc:
        raise DescriptionError([_located(e) for e in exc.errors()]) from None
    errors = [error for name in OPERATIONS for error in _operation_errors(name, description)]
    if errors:
        raise DescriptionError(errors)
    return description


def placeholders(template: str) -> list[str]:
    """The placeholder names in ``template``; ``ValueError`` for a stray brace or a malformed name."""
    names = []
    for match in PLACEHOLDER_TOKEN.finditer(template):
        token = match.group(0)
        if token in ("{{", "}}"):
            continue
        name = match.group(1)
        if name is None or not re.fullmatch(r"[a-z_]{1,20}", name):
            raise ValueError(f"{token!r} is not a placeholder (write {{{{ or }}}} for a literal brace)")
        names.append(name)
    return names


def _operation_errors(name: str, description: PanelDescription) -> list[str]:
    operation = description.operation(name)
    if operation is None:
        return []
    allowed = PLACEHOLDERS[name]
    errors = []
    for where, text in _template_texts(operation):
        try:
            unknown = sorted(set(placeholders(text)) - allowed)
        except ValueError as exc:
            errors.append(f"{name}.{where}: {exc}")
            continue
        if unknown:
            errors.append(
                f"{name}.{where}: unknown placeholder {{{unknown[0]}}}; {name} may use "
                + ", ".join(f"{{{p}}}" for p in sorted(allowed))
            )
    errors += [f"{name}.url: {problem}" for problem in _url_problems(operation.url, description.base_url)]
    if operation.body is BodyKind.SOAP and isinstance(operation.template, str):
        errors += [f"{name}.template: {problem}" for problem in _soap_problems(operation.template)]
    errors += [f"{name}.reply.{problem}" for problem in _reply_problems(name, operation.reply)]
    return errors


def _reply_problems(name: str, reply: Reply) -> list[str]:
    needed = {"send": "message_id", "status": "delivery", "credit": "credit", "inbound": "items"}[name]
    problems = [] if getattr(reply, needed) else [f"{needed}: {name} needs to know where the reply keeps it"]
    if name == "inbound" and not {"sender", "text"} <= set(reply.item):
        problems.append("item: inbound needs at least sender and text")
    if name != "status" and (reply.report_id or reply.delivery_absent != "bad_reply"):
        problems.append("report_id / delivery_absent: only a status reply reads them")
    accepted = any(rule.outcome is Outcome.ACCEPTED for rule in reply.codes.values())
    if name == "status" and reply.delivery_absent == "not_yet" and not (reply.status and accepted):
        problems.append("delivery_absent: not_yet needs a status path and a code the table calls accepted")
    return problems


def _template_texts(operation: Operation) -> list[tuple[str, str]]:
    texts = [("url", operation.url)] + [(f"headers.{k}", v) for k, v in operation.headers.items()]
    if operation.soap_action:
        texts.append(("soap_action", operation.soap_action))
    return texts + [(f"template{where}", text) for where, text in _strings(operation.template, "")]


def _strings(value: Any, where: str) -> list[tuple[str, str]]:
    if isinstance(value, str):
        return [(where, value)]
    if isinstance(value, dict):
        found = []
        for key, inner in value.items():
            found += [(f"{where}.{key}", key)] if "{" in key or "}" in key else []
            found += _strings(inner, f"{where}.{key}")
        return found
    if isinstance(value, list):
        return [found for i, inner in enumerate(value) for found in _strings(inner, f"{where}[{i}]")]
    return []


def _url_problems(url: str, base_url: str | None) -> list[str]:
    fixed = url.split("{", 1)[0]
    if url.startswith("/"):
        return [] if base_url or "{" not in fixed else ["placeholders may not come first"]
    try:
        _check_http_url(fixed)
    except ValueError as exc:
        return [f"{exc} (before any placeholder; or start with / for a path after the API address)"]
    if not urlsplit(fixed).path:
        return ["placeholders may only follow the host and a /"]
    return []


def _check_http_url(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http:// or https:// address with a host")
    if parts.username or parts.password:
        raise ValueError("may not carry a user or password (use the placeholders)")


def _soap_problems(template: str) -> list[str]:
    if re.search(r"<!(DOCTYPE|ENTITY)", template, re.IGNORECASE):
        return ["a DTD or entity declaration is not allowed"]
    sample = PLACEHOLDER_TOKEN.sub(lambda m: {"{{": "{", "}}": "}"}.get(m.group(0), "x"), template)
    try:
        safe_xml(sample.encode("utf-8"))
    except ValueError as exc:
        return [f"not well-formed XML ({exc})"]
    return []


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


def _depth(value: Any, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(value, dict):
        return max((_depth(v, level + 1) for v in value.values()), default=level + 1)
    if isinstance(value, list):
        return max((_depth(v, level + 1) for v in value), default=level + 1)
    return level


def _located(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "(document)"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}"


__all__ = [
    "BodyKind",
    "CodeRule",
    "DescriptionError",
    "Operation",
    "Outcome",
    "PanelDescription",
    "Reply",
    "ReplyFormat",
    "placeholders",
    "safe_xml",
    "validate_description",
]
