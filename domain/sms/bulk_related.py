"""Filling a bulk's template from each member and the records related to it, a step at a time (SMS-08, -12).

A bulk's placeholders use the paths a single SMS uses (:mod:`domain.sms.related`):
``{firstname}``, ``{contact.firstname}``, ``{recipient.firstname}`` and
``{regarding.firstname}`` name the member's own columns (the member is both the
recipient and the regarding record of its SMS), and up to
:data:`~domain.sms.related.MAX_HOPS` lookups may follow
(``{contact.parentcustomerid.name}``), every name checked against its table's
metadata (:class:`~domain.sms.related.TableShape`).

Planning covers a whole step of members at once, so the reads stay within
Dataverse's request budget whatever the step's size:

- :func:`path_columns` lists, from the tables' shapes alone, every ``(table, column)``
  a template's paths may read from a member table, through every target of every
  lookup on the way; the caller selects exactly those columns (:meth:`TemplatePaths.select`) and
  checks them for column security before anything is sent;
- :func:`fill_step` walks every member's paths over what has been read so far and
  returns the finished members' values (:class:`~domain.sms.bulk.Filled`) and, per
  related table, the ids of the records still to read, so the caller reads each hop
  with one query per related table, never one per member.

Pure: nothing is read here; the caller reads what :class:`StepReads` names and calls again.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field

from domain.sms.bulk import Filled, Member
from domain.sms.related import MAX_HOPS, Known, Root, TableShape, resolve_paths, split_path, unreadable_related
from domain.sms.templates import Template, TemplateRenderError

RECIPIENT = "recipient"
REGARDING = "regarding"


@dataclass(frozen=True)
class PathColumn:
    """A column a placeholder may read: ``path`` reaches ``table`` and reads (or follows) ``column`` there."""

    path: str
    table: str
    column: str


@dataclass(frozen=True)
class TemplatePaths:
    """Every column a bulk's template may read (:func:`path_columns` over its member tables) and the shapes of
    the tables they are on."""

    columns: tuple[PathColumn, ...] = ()
    shapes: Mapping[str, TableShape] = field(default_factory=dict)

    def select(self, table: str) -> frozenset[str]:
        """The names to ``$select`` on ``table`` for the template: a lookup as its ``_<name>_value`` property."""
        lookups = self.shapes[table].lookups if table in self.shapes else {}
        return frozenset(
            f"_{c.column}_value" if c.column in lookups else c.column for c in self.columns if c.table == table
        )


@dataclass(frozen=True)
class StepReads:
    """What a step must still read: table shapes, and per related table the ids of its records."""

    shapes: frozenset[str] = frozenset()
    records: Mapping[str, frozenset[str]] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.shapes or self.records)


@dataclass(frozen=True)
class StepFill:
    """The members whose values are settled (filled or failed), and what the others still need."""

    filled: Mapping[tuple[str, str], Filled]
    reads: StepReads


def member_roots(member: Member) -> dict[str, Root]:
    """The root names a member's paths may start with: its table, ``recipient`` and ``regarding``."""
    root = Root(member.table, member.fields)
    return {member.table: root, RECIPIENT: root, REGARDING: root}


def path_columns(
    template: Template, member_table: str, shapes: Mapping[str, TableShape]
) -> tuple[tuple[PathColumn, ...], frozenset[str]]:
    """Every column ``template`` may read from a ``member_table`` member, and the tables whose shapes the walk
    still needs (read them, add them to ``shapes`` and call again).

    A lookup with several targets (a customer lookup) is followed into each of them; a name a table lacks ends
    that branch (the member's text fails on it when it is filled). A path past the lookup limit reads nothing.
    """
    found: dict[PathColumn, None] = {}
    needs: set[str] = set()
    roots = (member_table, RECIPIENT, REGARDING)
    for path in sorted(template.fields):
        names = split_path(path, roots, RECIPIENT)[1]
        if len(names) - 1 > MAX_HOPS:
            continue
        frontier = {member_table}
        for position, name in enumerate(names):
            reached: set[str] = set()
            for table in sorted(frontier):
                shape = shapes.get(table)
                if shape is None:
                    needs.add(table)
                elif name in shape.columns:
                    found[PathColumn(path, table, name)] = None
                    if position < len(names) - 1:
                        reached.update(shape.lookups.get(name, {}))
            frontier = reached
    return tuple(found), frozenset(needs)


def fill_step(
    template: Template,
    members: Sequence[Member],
    known: Known,
    unreadable: Collection[tuple[str, str]] = frozenset(),
) -> StepFill:
    """Walk every member's paths over ``known``; see the module docstring.

    ``unreadable`` are related ``(table, id)`` already asked for and not returned: a member whose path leads to
    one fails with the words a single SMS uses. A member with a wrong path fails with the template's problems.
    """
    filled: dict[tuple[str, str], Filled] = {}
    shapes: set[str] = set()
    records: dict[str, set[str]] = {}
    for member in members:
        resolved = resolve_paths(template, member_roots(member), known, RECIPIENT)
        gone = sorted(target for target in resolved.needs.records if target in unreadable)
        if gone:
            filled[member.key] = Filled(error=unreadable_related(*gone[0]))
        elif resolved.needs:
            shapes.update(resolved.needs.shapes)
            for table, record_id in resolved.needs.records:
                records.setdefault(table, set()).add(record_id)
        elif resolved.problems:
            filled[member.key] = Filled(error=str(TemplateRenderError(resolved.problems)))
        else:
            filled[member.key] = Filled(resolved.fields)
    return StepFill(filled, StepReads(frozenset(shapes), {t: frozenset(ids) for t, ids in records.items()}))
