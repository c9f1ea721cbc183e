"""Placeholders that reach through lookups: ``{contact.parentcustomerid.name}`` (SMS-12).

A placeholder path starts at a *root* record (``contact``, ``recipient``,
``regarding``, the regarding table's name, or, with no root named, the
recipient) and may follow up to :data:`MAX_HOPS` lookup columns before naming
the column whose value is written. Every name is checked against the table's
columns (:class:`TableShape`, read from the metadata by the caller), so a typo is
a plain error naming the table, never an empty hole. An empty lookup on the way
is an error too, unless the placeholder gives a ``default``.

Pure: :func:`resolve_paths` never reads anything. When it needs a table's shape
or a related record it has not been given, it says so (:class:`Needs`); the
caller reads those, adds them to :class:`Known` and calls again. Values are
returned as they are stored, never parsed, so a value holding ``{x}`` is sent as
typed.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from domain.sms.templates import Placeholder, Template, TemplateProblem

MAX_HOPS = 3
LOOKUP_TYPE = "@Microsoft.Dynamics.CRM.lookuplogicalname"


@dataclass(frozen=True)
class TableShape:
    """One table's column names and, per lookup column, the navigation property of each target table."""

    table: str
    columns: frozenset[str]
    lookups: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def navigations(self, lookup: str) -> tuple[str, ...]:
        """The navigation properties to ``$expand`` to read whatever ``lookup`` points at."""
        return tuple(sorted(set(self.lookups.get(lookup, {}).values())))


@dataclass(frozen=True)
class Root:
    """A record a path can start at: its table and its columns as the Web API returned them."""

    table: str
    record: Mapping[str, object]


@dataclass
class Known:
    """Shapes and related records read so far for one message, keyed by table and by (table, id)."""

    shapes: dict[str, TableShape] = field(default_factory=dict)
    records: dict[tuple[str, str], Mapping[str, object]] = field(default_factory=dict)


@dataclass(frozen=True)
class Needs:
    """What :func:`resolve_paths` must be given before it can finish."""

    shapes: frozenset[str] = frozenset()
    records: frozenset[tuple[str, str]] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.shapes or self.records)


@dataclass(frozen=True)
class Resolved:
    """Field values by placeholder path, problems in plain words, or what is still to be read."""

    fields: dict[str, object]
    problems: tuple[TemplateProblem, ...]
    needs: Needs


class _Stop(Exception):
    def __init__(self, problem: TemplateProblem | None = None, need: tuple[str, str | None] | None = None) -> None:
        super().__init__()
        self.problem, self.need = problem, need


def first_hops(template: Template, roots: Mapping[str, Root], recipient: str | None) -> dict[str, set[str]]:
    """Per root name, the lookup columns the template follows first (to ``$expand`` on its one read)."""
    hops: dict[str, set[str]] = {}
    for placeholder in _placeholders(template):
        root, rest = split_path(placeholder.path, roots, recipient)
        if root is not None and len(rest) > 1:
            hops.setdefault(root, set()).add(rest[0])
    return hops


def resolve_paths(template: Template, roots: Mapping[str, Root], known: Known, recipient: str | None) -> Resolved:
    """Walk every placeholder path of ``template`` from its root record; see the module docstring.

    ``recipient`` names the root a path without a root name starts at (None: no recipient record).
    """
    fields: dict[str, object] = {}
    problems: list[TemplateProblem] = []
    shapes: set[str] = set()
    records: set[tuple[str, str]] = set()
    for placeholder in _placeholders(template):
        try:
            value = _walk(placeholder, roots, known, recipient)
        except _Stop as stop:
            if stop.problem is not None:
                problems.append(stop.problem)
            elif stop.need is not None and stop.need[1] is None:
                shapes.add(stop.need[0])
            elif stop.need is not None:
                records.add((stop.need[0], str(stop.need[1])))
            continue
        fields[placeholder.path] = value
    return Resolved(fields, tuple(problems), Needs(frozenset(shapes), frozenset(records)))


def lookup_target(record: Mapping[str, object], lookup: str, shape: TableShape) -> tuple[str, str] | None:
    """The (table, id) a lookup column of ``record`` points at, or None when it is empty."""
    value = record.get(f"_{lookup}_value")
    if not isinstance(value, str) or not value:
        return None
    targets = shape.lookups.get(lookup, {})
    named = record.get(f"_{lookup}_value{LOOKUP_TYPE}")
    if isinstance(named, str) and named in targets:
        return named, value
    expanded = [t for t, nav in targets.items() if isinstance(record.get(nav), Mapping)]
    if len(expanded) == 1:
        return expanded[0], value
    return (next(iter(targets)), value) if len(targets) == 1 else None


def unreadable_related(table: str, record_id: str) -> str:
    """The words on a message whose path leads to a related record its owner cannot read (or one deleted)."""
    return f"a related {table} record ({record_id}) no longer exists or the SMS's owner may not read it"


def _placeholders(template: Template) -> list[Placeholder]:
    return [n for n in template.nodes if isinstance(n, Placeholder)]


def split_path(
    path: str, roots: Mapping[str, Root] | Collection[str], recipient: str | None
) -> tuple[str | None, list[str]]:
    """The root a placeholder path starts at (``recipient`` when it names none) and the column names after it."""
    head, *rest = path.split(".")
    if head in roots and rest:
        return head, rest
    return recipient, [head, *rest]


def _walk(placeholder: Placeholder, roots: Mapping[str, Root], known: Known, recipient: str | None) -> object:
    path = placeholder.path
    root, rest = split_path(path, roots, recipient)
    if root is None:
        raise _Stop(
            _problem(
                path,
                "there is no recipient or regarding record to read it from",
                "گیرنده یا رکورد مرتبطی برای خواندن آن نیست",
            )
        )
    if len(rest) - 1 > MAX_HOPS:
        raise _Stop(
            _problem(
                path,
                f"a placeholder may follow at most {MAX_HOPS} lookups",
                f"هر جای‌نما حداکثر از {MAX_HOPS} ارجاع عبور می‌کند",
            )
        )
    table, record = roots[root].table, roots[root].record
    for position, name in enumerate(rest):
        shape = known.shapes.get(table)
        if shape is None:
            raise _Stop(need=(table, None))
        if name not in shape.columns:
            raise _Stop(_problem(path, f"{table} has no column {name}", f"جدول {table} ستونی به نام {name} ندارد"))
        is_last = position == len(rest) - 1
        if is_last:
            if name in shape.lookups:
                raise _Stop(
                    _problem(
                        path,
                        f"{name} on {table} is a lookup; name one of its columns, e.g. {path}.name",
                        f"{name} یک ارجاع است؛ یکی از ستون‌هایش را نام ببرید",
                    )
                )
            return record.get(name)
        if name not in shape.lookups:
            raise _Stop(
                _problem(
                    path,
                    f"{name} on {table} is not a lookup, so nothing can follow it",
                    f"{name} در {table} ارجاع نیست",
                )
            )
        table, record = _follow(placeholder, record, table, name, shape, known)
    raise AssertionError("unreachable: a path has at least one column")  # pragma: no cover


def _follow(
    placeholder: Placeholder, record: Mapping[str, object], table: str, lookup: str, shape: TableShape, known: Known
) -> tuple[str, Mapping[str, object]]:
    target = lookup_target(record, lookup, shape)
    if target is None:
        if any(call.name == "default" for call in placeholder.filters):
            raise _Stop()  # neither problem nor need: the field stays absent and render writes the default
        raise _Stop(
            _problem(placeholder.path, f"{lookup} is empty on the {table}", f"ستون {lookup} در {table} خالی است")
        )
    found = known.records.get(target)
    if found is None:
        raise _Stop(need=target)
    return target[0], found


def _problem(path: str, message: str, message_fa: str) -> TemplateProblem:
    return TemplateProblem(f"{{{path}}}: {message}", f"{{{path}}}: {message_fa}", field=path)
