"""SMS templates: placeholders filled from the recipient and related records (SMS-01, -09, -11, -12, X-05).

A template is parsed once into a small tree of literal text and placeholders.
The only syntax is ``{path.to.field|filter|filter:arg}``; ``{{`` and ``}}``
write literal braces. Fields are looked up by their dotted path in a plain
mapping the caller fetched (see :func:`domain.sms.template_render.flatten_fields`):
nothing is ever looked up as a Python attribute, evaluated or re-parsed, so a
field value that itself contains ``{contact.x}`` or a format spec is sent as typed.

Filters: ``jalali`` / ``gregorian`` / ``date`` (the template's calendar), each
with an optional format such as ``jalali:"%d %B %Y"``; ``number`` (thousands
separators, optional decimals ``number:2``; also text holding a number in
any digit script, ``۱۲٬۵۰۰٬۰۰۰``); ``persian_digits``;
``upper`` / ``lower`` (Latin); ``default:"..."`` (explicit fallback).

A field with no value is an error, never an empty hole in a customer's
message: rendering raises :class:`TemplateRenderError` listing every
problem at once, in English and Persian, for the record's error column.

This module holds the parsed template and its errors; parsing is
:mod:`domain.sms.template_parser`, filling :mod:`domain.sms.template_render`.
Pure: no I/O, no clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import tzinfo

from domain.sms.segments import SegmentCount


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
    """One filter of a placeholder, e.g. ``jalali:"%d %B %Y"`` (``arg`` unquoted)."""

    name: str
    arg: str | None = None


@dataclass(frozen=True)
class Placeholder:
    """One ``{path|filter...}`` of a template, at ``position`` in its text."""

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
