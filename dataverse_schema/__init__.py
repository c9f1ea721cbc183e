"""The suite's data model: every table, column, choice, key and relationship.

Each area is a module exposing ``AREA`` (standard Dynamics tables, telephony,
SMS, fax; the BSS module joins ``AREAS`` when it lands). The registry merges
what an area adds to a table defined elsewhere (the suite's ``comms_`` columns
on the standard ``phonecall`` and ``fax``) into that one table, checks the
whole model once at import, and answers look-ups::

    from dataverse_schema import TABLES, table, by_entity_set
    table("phonecall").column("comms_pbxcallid")
"""

from __future__ import annotations

from dataverse_schema import fax, sms, standard, telephony
from dataverse_schema.model import PUBLISHER_PREFIX, Area, OptionSet, Relationship, Table

AREAS: tuple[Area, ...] = (standard.AREA, telephony.AREA, sms.AREA, fax.AREA)


def _build(areas: tuple[Area, ...]) -> dict[str, Table]:
    tables: dict[str, Table] = {}
    for area in areas:
        for t in area.tables:
            if t.logical_name in tables:
                raise ValueError(f"table {t.logical_name} is defined twice")
            tables[t.logical_name] = t
    for area in areas:
        for extension in area.extensions:
            if extension.table not in tables:
                raise ValueError(f"area {area.name} extends unknown table {extension.table}")
            tables[extension.table] = tables[extension.table].extended(extension)
    sets = [t.entity_set_name for t in tables.values()]
    clashes = sorted({s for s in sets if sets.count(s) > 1})
    if clashes:
        raise ValueError(f"entity set names used twice: {clashes}")
    return tables


TABLES: dict[str, Table] = _build(AREAS)
_BY_ENTITY_SET: dict[str, Table] = {t.entity_set_name: t for t in TABLES.values()}


def table(logical_name: str) -> Table:
    """The table with this logical name; KeyError names it when unknown."""
    try:
        return TABLES[logical_name]
    except KeyError:
        raise KeyError(f"no table {logical_name!r} in the schema") from None


def by_entity_set(entity_set: str) -> Table:
    """The table behind a Web API entity set name (``phonecalls`` → ``phonecall``)."""
    try:
        return _BY_ENTITY_SET[entity_set]
    except KeyError:
        raise KeyError(f"no table with entity set {entity_set!r} in the schema") from None


def custom_tables() -> tuple[Table, ...]:
    """The tables the suite owns and creates."""
    return tuple(t for t in TABLES.values() if t.is_custom)


def standard_tables() -> tuple[Table, ...]:
    """The standard Dynamics tables the suite reads, writes or extends."""
    return tuple(t for t in TABLES.values() if not t.is_custom)


def global_option_sets() -> tuple[OptionSet, ...]:
    """Choices shared between columns, created once as global option sets."""
    return tuple(s for area in AREAS for s in area.option_sets)


def relationships() -> tuple[Relationship, ...]:
    """Every one-to-many relationship the suite creates (one per ``comms_`` lookup).

    Microsoft's own relationships on standard tables (``contact_customer_accounts``) exist in every
    environment already, so they are left out.
    """
    return tuple(r for t in TABLES.values() for r in t.relationships if r.lookup.startswith(f"{PUBLISHER_PREFIX}_"))


__all__ = [
    "AREAS",
    "TABLES",
    "by_entity_set",
    "custom_tables",
    "global_option_sets",
    "relationships",
    "standard_tables",
    "table",
]
