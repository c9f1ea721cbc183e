"""Which columns a template reads, so column-secured ones are refused unless allowed (issue 12, §2).

Template placeholders may follow lookups (``{contact.parentcustomerid.comms_debt}``),
so the column a path ends on belongs to the table the last lookup led to. After
the composer has read the records (with the sender's rights), this walks each
path again over what was read and names the ``(table, column)`` it lands on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from domain.sms.related import Known, Root, lookup_target, split_path
from domain.sms.templates import Placeholder, Template


@dataclass(frozen=True)
class SecuredField:
    """A placeholder that names a column-secured column."""

    path: str
    table: str
    column: str


def landing_column(path: str, roots: Mapping[str, Root], known: Known, recipient: str | None) -> tuple[str, str] | None:
    """The ``(table, column)`` ``path`` reads, or ``None`` when it reads nothing (an empty lookup)."""
    root, names = split_path(path, roots, recipient)
    if root is None or root not in roots:
        return None
    table, record = roots[root].table, roots[root].record
    for name in names[:-1]:
        shape = known.shapes.get(table)
        target = lookup_target(record, name, shape) if shape else None
        if target is None or target not in known.records:
            return None
        table, record = target[0], known.records[target]
    return table, names[-1]


def secured_fields(
    template: Template,
    roots: Mapping[str, Root],
    known: Known,
    recipient: str | None,
    secured: Callable[[str], frozenset[str]],
) -> list[SecuredField]:
    """Every placeholder of ``template`` that lands on a column ``secured(table)`` lists."""
    found = []
    for node in template.nodes:
        if not isinstance(node, Placeholder):
            continue
        landing = landing_column(node.path, roots, known, recipient)
        if landing is not None and landing[1] in secured(landing[0]):
            found.append(SecuredField(node.path, *landing))
    return found


def secured_refusal(fields: Sequence[SecuredField]) -> str:
    """The words on the record when a text names column-secured columns its template does not allow."""
    names = ", ".join(f"{{{field.path}}} ({field.table}.{field.column})" for field in fields)
    return (
        f"the text names column-secured columns: {names}; an administrator must set Allow Secured Columns on "
        f"the template | متن ستون‌های محافظت‌شده را نام می‌برد: {names}"
    )
