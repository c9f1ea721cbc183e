"""SMS templates: placeholders filled from the recipient and related records (SMS-01, -09, -11, -12, X-05).

A template is parsed once into a small tree of literal text and placeholders.
The only syntax is ``{path.to.field|filter|filter:arg}``; ``{{`` and ``}}``
write literal braces. Fields are looked up by their dotted path in a plain
mapping the caller fetched (see :func:`flatten_fields`): nothing is ever
looked up as a Python attribute, evaluated or re-parsed, so a field value that
itself contains ``{contact.x}`` or a format spec is sent as typed.

Filters: ``jalali`` / ``gregorian`` / ``date`` (the template's calendar), each
with an optional format such as ``jalali:"%d %B %Y"``; ``number`` (thousands
separators, optional decimals ``number:2``); ``persian_digits``;
``upper`` / ``lower`` (Latin); ``default:"..."`` (explicit fallback).

A field with no value is an error, never an empty hole in a customer's
message: :func:`render` raises :class:`TemplateRenderError` listing every
problem at once, in English and Persian, for the record's error column.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, tzinfo
from decimal import Decimal

from domain.sms.dates import format_date
from domain.sms.segments import SegmentCount, count_segments
from domain.sms.text import to_persian_digits

MAX_TEMPLATE_CHARS = 10_000
_SEGMENT = r"(?!__)[a-z_][a-z0-9_]*"
_PATH = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT}){{0,4}}")
_FILTER = re.compile(r"([a-z_]+)(?::(.*))?", re.DOTALL)
_MISSING = object()


class Calendar(enum.Enum):
    """Calendar for dates filled into a template (the template's Date Calendar choice)."""

    GREGORIAN = "gregorian"
    JALALI = "jalali"


@dataclass(frozen=True)
class TemplateProblem:
    """One thing wrong with a template or its data, in plain words for the record."""

    message: str
    message_fa: str
    field: str | None = None
    position: int | None = None


class TemplateError(Exception):
    """A template cannot be parsed or rendered; ``problems`` lists every reason. Never retry unchanged."""

    def __init__(self, problems: tuple[TemplateProblem, ...]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))

    @property
    def message_fa(self) -> str:
        """All problems in Persian, for the record's error column."""
        return "؛ ".join(p.message_fa for p in self.problems)


class TemplateSyntaxError(TemplateError):
    """The template text is malformed (unclosed brace, unknown filter, bad format)."""


class TemplateRenderError(TemplateError):
    """Fields are missing or of the wrong kind for their filters."""


@dataclass(frozen=True)
class FilterCall:
    name: str
    arg: str | None = None


@dataclass(frozen=True)
class Placeholder:
    path: str
    filters: tuple[FilterCall, ...]
    position: int


Node = str | Placeholder


@dataclass(frozen=True)
class Template:
    """A parsed template: literal text and placeholders, in order."""

    nodes: tuple[Node, ...]

    @property
    def fields(self) -> frozenset[str]:
        """Every field path the template reads, e.g. ``contact.firstname``."""
        return frozenset(n.path for n in self.nodes if isinstance(n, Placeholder))

    def columns_of(self, root: str) -> frozenset[str]:
        """Columns to ``$select`` on the record named ``root`` (``contact`` → ``{"firstname"}``)."""
        prefix = root.lower() + "."
        return frozenset(p[len(prefix) :].split(".")[0] for p in self.fields if p.startswith(prefix))


@dataclass(frozen=True)
class RenderOptions:
    """How values are written: the calendar for dates and the zone aware datetimes are shown in."""

    calendar: Calendar = Calendar.JALALI
    tz: tzinfo | None = None


@dataclass(frozen=True)
class RenderedText:
    """A rendered message and its parts count (for the length and cost shown before sending)."""

    text: str
    segments: SegmentCount = field(compare=False)


def parse_template(source: str) -> Template:
    """Parse ``source`` into a :class:`Template`; raise :class:`TemplateSyntaxError` listing every problem."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateSyntaxError(
            (
                _problem(
                    f"the template is longer than {MAX_TEMPLATE_CHARS} characters",
                    f"متن قالب بیش از {MAX_TEMPLATE_CHARS} نویسه است",
                ),
            )
        )
    nodes: list[Node] = []
    problems: list[TemplateProblem] = []
    literal: list[str] = []
    i = 0
    while i < len(source):
        ch = source[i]
        if source.startswith("{{", i) or source.startswith("}}", i):
            literal.append(ch)
            i += 2
        elif ch == "}":
            problems.append(
                _problem(
                    f"a '}}' at position {i} closes nothing; write '}}}}' for a brace",
                    f"آکولاد بسته در جایگاه {i} بی‌جفت است",
                    position=i,
                )
            )
            i += 1
        elif ch == "{":
            end = _closing_brace(source, i + 1)
            if end is None:
                problems.append(
                    _problem(
                        f"the '{{' at position {i} is never closed",
                        f"آکولاد باز در جایگاه {i} بسته نشده است",
                        position=i,
                    )
                )
                break
            if literal:
                nodes.append("".join(literal))
                literal = []
            placeholder = _parse_placeholder(source[i + 1 : end], i, problems)
            if placeholder is not None:
                nodes.append(placeholder)
            i = end + 1
        else:
            literal.append(ch)
            i += 1
    if literal:
        nodes.append("".join(literal))
    if problems:
        raise TemplateSyntaxError(tuple(problems))
    return Template(tuple(nodes))


def render(template: Template, fields: Mapping[str, object], options: RenderOptions = RenderOptions()) -> RenderedText:
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
            problems.append(_problem(exc.message, exc.message_fa, field=node.path, position=node.position))
    text = "".join(parts)
    if not problems and not text.strip():
        problems.append(_problem("the message would be empty", "متن پیامک خالی می‌شود"))
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


def _problem(
    message: str, message_fa: str, *, field: str | None = None, position: int | None = None
) -> TemplateProblem:
    return TemplateProblem(message, message_fa, field, position)


def _closing_brace(source: str, start: int) -> int | None:
    """Index of the ``}`` that ends a placeholder, skipping quoted filter arguments."""
    quoted = False
    i = start
    while i < len(source):
        ch = source[i]
        if quoted and ch == "\\":
            i += 2
            continue
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch == "}":
            return i
        elif not quoted and ch == "{":
            return None
        i += 1
    return None


def _split_pipes(body: str) -> list[str]:
    pieces, current, quoted, escaped = [], [], False, False
    for ch in body:
        if escaped:
            current.append(ch)
            escaped = False
        elif quoted and ch == "\\":
            current.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == "|" and not quoted:
            pieces.append("".join(current))
            current = []
        else:
            current.append(ch)
    pieces.append("".join(current))
    return pieces


def _parse_placeholder(body: str, position: int, problems: list[TemplateProblem]) -> Placeholder | None:
    path, *filter_texts = (piece.strip() for piece in _split_pipes(body))
    path = path.lower()
    before = len(problems)
    if not _PATH.fullmatch(path):
        problems.append(
            _problem(
                f"'{{{body[:60]}}}' at position {position} is not a field path such as contact.firstname",
                f"«{body[:60]}» در جایگاه {position} نام فیلد معتبری نیست",
                position=position,
            )
        )
    filters = []
    for text in filter_texts:
        call = _parse_filter(text)
        problem = call if isinstance(call, str) else _check_filter(call)
        if problem:
            problems.append(
                _problem(
                    f"{problem} (position {position})",
                    f"فیلتر «{text[:40]}» در جایگاه {position} نامعتبر است",
                    position=position,
                )
            )
        elif isinstance(call, FilterCall):
            filters.append(call)
    return Placeholder(path, tuple(filters), position) if len(problems) == before else None


def _parse_filter(text: str) -> FilterCall | str:
    match = _FILTER.fullmatch(text)
    if not match:
        return f"'{text[:40]}' is not a filter"
    name, arg = match.group(1), match.group(2)
    if arg is not None and arg.startswith('"'):
        if len(arg) < 2 or not arg.endswith('"') or arg.endswith('\\"') and not arg.endswith('\\\\"'):
            return f"the argument of '{name}' has an unclosed quote"
        arg = re.sub(r"\\(.)", r"\1", arg[1:-1], flags=re.DOTALL)
    return FilterCall(name, arg)


def _check_filter(call: FilterCall) -> str | None:
    spec = _FILTERS.get(call.name)
    if spec is None:
        return f"unknown filter '{call.name}'; known filters: {', '.join(sorted(_FILTERS))}"
    takes_arg, needs_arg = spec
    if call.arg is None and needs_arg:
        return f"filter '{call.name}' needs an argument, e.g. {call.name}:\"...\""
    if call.arg is not None and not takes_arg:
        return f"filter '{call.name}' takes no argument"
    if call.name in ("jalali", "gregorian", "date") and call.arg is not None:
        try:
            format_date(date(2000, 1, 1), call.arg, jalali=False)
        except ValueError as exc:
            return str(exc)
    if call.name == "number" and call.arg is not None and not re.fullmatch(r"[0-6]", call.arg):
        return "filter 'number' takes the number of decimals, 0 to 6"
    return None


#: filter name → (takes an argument, needs an argument)
_FILTERS = {
    "jalali": (True, False),
    "gregorian": (True, False),
    "date": (True, False),
    "number": (True, False),
    "persian_digits": (False, False),
    "upper": (False, False),
    "lower": (False, False),
    "default": (True, True),
}


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
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise _wrong_kind(path, "a number", "عدد")
    number = Decimal(str(value))
    if not number.is_finite():
        raise _wrong_kind(path, "a finite number", "عدد معتبر")
    return number


def _wrong_kind(path: str, wanted: str, wanted_fa: str) -> _FieldProblem:
    return _FieldProblem(f"{path} must be {wanted} for this placeholder", f"فیلد {path} باید {wanted_fa} باشد")
