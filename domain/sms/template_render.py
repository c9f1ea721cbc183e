"""Filling a parsed SMS template from a record's fields, through its filters (SMS-01, -09, -12, X-05).

Values come from a flat mapping of dotted, lower-case paths
(:func:`flatten_fields`). A missing or blank value is an error unless a
``default`` filter supplies one; a value of the wrong kind for its filter is an
error too; :func:`render` lists every problem at once. Dates are written in the
template's calendar and, when aware, in the zone of the render options. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal

from domain.dates import format_date
from domain.digits import digit_setting, to_persian_digits
from domain.sms.segments import count_segments
from domain.sms.templates import (
    Calendar,
    FilterCall,
    Placeholder,
    RenderedText,
    RenderOptions,
    Template,
    TemplateProblem,
    TemplateRenderError,
)

_MISSING = object()
# Digits with optional thousands groups and decimals, once in ASCII digits and separators.
_NUMBER_TEXT = re.compile(r"[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
_DEFAULT_OPTIONS = RenderOptions()


def render(template: Template, fields: Mapping[str, object], options: RenderOptions = _DEFAULT_OPTIONS) -> RenderedText:
    """Fill ``template`` from ``fields`` (dotted path → value, see :func:`flatten_fields`).

    Raises :class:`TemplateRenderError` naming every missing or unusable field
    at once, and when the result would be blank. Never raises anything else.
    """
    parts: list[str] = []
    problems: list[TemplateProblem] = []
    for node in template.nodes:
        if isinstance(node, str):
            parts.append(node)
            continue
        try:
            parts.append(_fill(node, fields, options))
        except _FieldProblem as exc:
            problems.append(TemplateProblem(exc.message, exc.message_fa, field=node.path, position=node.position))
    text = "".join(parts)
    if not problems and not text.strip():
        problems.append(TemplateProblem("the message would be empty", "متن پیامک خالی می‌شود"))
    if problems:
        raise TemplateRenderError(tuple(problems))
    return RenderedText(text, count_segments(text))


def flatten_fields(records: Mapping[str, object], *, max_depth: int = 5) -> dict[str, object]:
    """Flatten ``{"contact": {"firstname": "Ali", "parentcustomerid": {...}}}`` to dotted, lower-case paths.

    Only mappings are walked (never object attributes); OData annotation keys
    (containing ``@``) and non-string keys are skipped.
    """
    flat: dict[str, object] = {}

    def walk(prefix: str, value: object, depth: int) -> None:
        if isinstance(value, Mapping) and depth < max_depth:
            for key, inner in value.items():
                if isinstance(key, str) and "@" not in key:
                    walk(f"{prefix}.{key.lower()}" if prefix else key.lower(), inner, depth + 1)
        elif prefix:
            flat[prefix] = value

    walk("", records, 0)
    return flat


class _FieldProblem(Exception):
    def __init__(self, message: str, message_fa: str) -> None:
        super().__init__(message)
        self.message, self.message_fa = message, message_fa


def _fill(node: Placeholder, fields: Mapping[str, object], options: RenderOptions) -> str:
    value = fields.get(node.path, _MISSING)
    if value is None or (isinstance(value, str) and not value.strip()):
        value = _MISSING
    for call in node.filters:
        if call.name == "default":
            value = call.arg if value is _MISSING else value
        elif value is not _MISSING:
            value = _apply(call, value, node.path, options)
    if value is _MISSING:
        raise _FieldProblem(f"{node.path} has no value on the record", f"فیلد {node.path} در رکورد مقدار ندارد")
    return _to_text(value, node.path, options)


def _apply(call: FilterCall, value: object, path: str, options: RenderOptions) -> object:
    name = call.name
    if name in ("jalali", "gregorian", "date"):
        calendar = options.calendar if name == "date" else Calendar(name)
        return _date_text(value, path, options, calendar, call.arg)
    if name == "number":
        return f"{_finite(value, path):,.{int(call.arg or 0)}f}"
    text = _to_text(value, path, options)
    if name == "persian_digits":
        return to_persian_digits(text)
    return text.upper() if name == "upper" else text.lower()


def _date_text(value: object, path: str, options: RenderOptions, calendar: Calendar, fmt: str | None) -> str:
    if not isinstance(value, date):
        raise _wrong_kind(path, "a date", "تاریخ")
    if isinstance(value, datetime) and value.tzinfo is not None and options.tz is not None:
        value = value.astimezone(options.tz)
    is_jalali = calendar is Calendar.JALALI
    try:
        return format_date(value, fmt or ("%Y/%m/%d" if is_jalali else "%Y-%m-%d"), jalali=is_jalali)
    except ValueError as exc:
        raise _FieldProblem(f"{path}: {exc}", f"تاریخ فیلد {path} قابل نوشتن نیست") from exc


def _to_text(value: object, path: str, options: RenderOptions) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        raise _wrong_kind(path, "text, a number or a date (it is yes/no)", "متن، عدد یا تاریخ")
    if isinstance(value, int):
        return str(value)
    if isinstance(value, Decimal | float):
        return format(_finite(value, path), "f")
    if isinstance(value, date):
        return _date_text(value, path, options, options.calendar, None)
    raise _wrong_kind(path, "text, a number or a date", "متن، عدد یا تاریخ")


def _finite(value: object, path: str) -> Decimal:
    if isinstance(value, str):
        value = _number_in_text(value)
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _wrong_kind(path, "a number", "عدد")
    number = Decimal(str(value))
    if not number.is_finite():
        raise _wrong_kind(path, "a finite number", "عدد معتبر")
    return number


def _number_in_text(text: str) -> Decimal | None:
    """Text holding a number as people type it (``۱۲٬۵۰۰٬۰۰۰``, ``12,500,000``, ``٣٫٥``), else ``None`` (X-05)."""
    plain = digit_setting(text).replace("\u066c", ",").replace("\u066b", ".")
    return Decimal(plain.replace(",", "")) if _NUMBER_TEXT.fullmatch(plain) else None


def _wrong_kind(path: str, wanted: str, wanted_fa: str) -> _FieldProblem:
    return _FieldProblem(f"{path} must be {wanted} for this placeholder", f"فیلد {path} باید {wanted_fa} باشد")
