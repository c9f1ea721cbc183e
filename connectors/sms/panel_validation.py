"""Checking a whole panel description: size and depth, placeholders per operation, addresses, SOAP, replies.

:func:`validate_description` is the check run when a row is saved and when a
connector is built (:mod:`connectors.sms.panel_description` is the model it
checks against): it refuses oversized or deeply nested documents, unknown
placeholders, placeholders in a URL's scheme or host, SOAP templates with a
DTD or that are not XML, reply paths that are not a plain JSON path or an
XPath, operations whose reply lacks what they need, and returns errors that
name the field path (``send.reply.message_id``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from connectors.sms.panel_description import (
    PLACEHOLDER_TOKEN,
    BodyKind,
    Operation,
    Outcome,
    PanelDescription,
    Reply,
    check_http_url,
    safe_xml,
)

#: The largest description accepted, in characters of JSON.
MAX_DESCRIPTION_CHARS = 64 * 1024
MAX_DEPTH = 12

#: The placeholders each operation may use.
PLACEHOLDERS: Mapping[str, frozenset[str]] = {
    "send": frozenset({"to", "text", "sender", "our_id", "username", "password", "flash"}),
    "status": frozenset({"message_id", "username", "password"}),
    "credit": frozenset({"username", "password"}),
    "inbound": frozenset({"username", "password"}),
}
OPERATIONS = tuple(PLACEHOLDERS)


class DescriptionError(ValueError):
    """A description that cannot be used; ``errors`` are ``"field.path: what is wrong"`` lines."""

    def __init__(self, errors: list[str]):
        super().__init__("the panel description is not valid: " + "; ".join(errors))
        self.errors = errors


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
        check_http_url(fixed)
    except ValueError as exc:
        return [f"{exc} (before any placeholder; or start with / for a path after the API address)"]
    if not urlsplit(fixed).path:
        return ["placeholders may only follow the host and a /"]
    return []


def _soap_problems(template: str) -> list[str]:
    if re.search(r"<!(DOCTYPE|ENTITY)", template, re.IGNORECASE):
        return ["a DTD or entity declaration is not allowed"]
    sample = PLACEHOLDER_TOKEN.sub(lambda m: {"{{": "{", "}}": "}"}.get(m.group(0), "x"), template)
    try:
        safe_xml(sample.encode("utf-8"))
    except ValueError as exc:
        return [f"not well-formed XML ({exc})"]
    return []


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


__all__ = ["DescriptionError", "placeholders", "validate_description"]
