"""Parsing SMS template text into a :class:`~domain.sms.templates.Template` (SMS-11, -12).

Literal text and ``{path|filter|filter:arg}`` placeholders; ``{{`` and ``}}``
are literal braces, and a quoted filter argument may hold braces and pipes.
Every problem of the text is listed at once in a
:class:`~domain.sms.templates.TemplateSyntaxError`. Pure.
"""

from __future__ import annotations

import re
from datetime import date

from domain.dates import format_date
from domain.sms.templates import (
    FilterCall,
    Node,
    Placeholder,
    Template,
    TemplateProblem,
    TemplateSyntaxError,
)

MAX_TEMPLATE_CHARS = 10_000
_SEGMENT = r"(?!__)[a-z_][a-z0-9_]*"
_PATH = re.compile(rf"{_SEGMENT}(?:\.{_SEGMENT}){{0,4}}")
_FILTER = re.compile(r"([a-z_]+)(?::(.*))?", re.DOTALL)


def parse_template(source: str) -> Template:
    """Parse ``source`` into a :class:`Template`; raise :class:`TemplateSyntaxError` listing every problem."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise TemplateSyntaxError(
            (
                TemplateProblem(
                    f"the template is longer than {MAX_TEMPLATE_CHARS} characters",
                    f"متن قالب بیش از {MAX_TEMPLATE_CHARS} نویسه است",
                ),
            )
        )
    nodes, problems = _scan(source)
    if problems:
        raise TemplateSyntaxError(tuple(problems))
    return Template(tuple(nodes))


def _scan(source: str) -> tuple[list[Node], list[TemplateProblem]]:
    """The template's literal runs and placeholders, and every problem met on the way."""
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
                TemplateProblem(
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
                    TemplateProblem(
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
    return nodes, problems


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
            TemplateProblem(
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
                TemplateProblem(
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
