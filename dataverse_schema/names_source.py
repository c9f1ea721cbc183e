"""Writes ``dataverse_schema/names.py``: every table, column and navigation name as a constant.

The runtime never types a Dataverse name; it reads it from a class generated
here from the model, so a renamed column is one change in the model (then
``python -m dataverse_schema.names_source`` rewrites the file) and a misspelt
constant fails at import or in the first test that reaches it, not against a
live environment. A unit test fails when the checked-in file is stale.

One class per table, named after its schema name without the publisher
prefix (``comms_SmsProvider`` → ``SmsProvider``, ``phonecall`` → ``PhoneCall``).
Its constants:

- ``TABLE``, ``SET`` (entity set), ``ID`` (primary id), ``PRIMARY_NAME``;
- one per column, the logical name upper-cased without the ``comms_`` prefix
  (``comms_pbxcallid`` → ``PBXCALLID``, ``mobilephone`` → ``MOBILEPHONE``);
- for a lookup, ``<COLUMN>_VALUE`` (``_<name>_value``, its id in a read) and,
  for a single-target lookup, ``<COLUMN>_NAV``: the single-valued navigation
  property that ``@odata.bind`` must name exactly (``comms_SmsProviderId``,
  ``listid``; see ``Table.navigation``). Polymorphic lookups (regarding,
  customer, party) take theirs from ``dataverse_schema.navigation``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from dataverse_schema import TABLES
from dataverse_schema.model import PUBLISHER_PREFIX, Column, ColumnType, Table

TARGET = Path(__file__).with_name("names.py")
_PREFIX = PUBLISHER_PREFIX + "_"

_HEADER = '''"""Dataverse names of every table and column the suite uses, generated from the model.

Do not edit: ``python -m dataverse_schema.names_source`` writes this file from
``dataverse_schema`` (see that module for the naming rules).
"""

# fmt: off
'''


def class_name(t: Table) -> str:
    """``comms_SmsProvider`` → ``SmsProvider``; ``appnotification`` → ``Appnotification``."""
    bare = t.schema_name.removeprefix(_PREFIX)
    return bare[0].upper() + bare[1:]


def constant_name(logical_name: str) -> str:
    """``comms_pbxcallid`` → ``PBXCALLID``; ``telephone1`` → ``TELEPHONE1``."""
    return logical_name.removeprefix(_PREFIX).upper()


def _navigation(t: Table, column: Column) -> str | None:
    """A single-target lookup's navigation property; polymorphic ones live in ``navigation``."""
    if column.type is not ColumnType.LOOKUP or len(column.targets) != 1:
        return None
    return t.navigation(column.logical_name)


def table_constants(t: Table) -> list[tuple[str, str]]:
    """The (constant, name) pairs of one table's class, in the model's column order."""
    pairs = [
        ("TABLE", t.logical_name),
        ("SET", t.entity_set_name),
        ("ID", t.primary_id),
        ("PRIMARY_NAME", t.primary_name),
    ]
    for column in t.columns:
        pairs.append((constant_name(column.logical_name), column.logical_name))
        if column.is_lookup:
            pairs.append((constant_name(column.logical_name) + "_VALUE", column.value_property))
            navigation = _navigation(t, column)
            if navigation:
                pairs.append((constant_name(column.logical_name) + "_NAV", navigation))
    seen: dict[str, str] = {}
    for constant, name in pairs:
        if seen.get(constant, name) != name:
            raise ValueError(f"{t.logical_name}: {constant} would name both {seen[constant]} and {name}")
        seen[constant] = name
    return list(seen.items())


def render() -> str:
    """The whole text of ``names.py``."""
    classes = []
    taken: dict[str, str] = {}
    for t in sorted(TABLES.values(), key=class_name):
        name = class_name(t)
        if name in taken:
            raise ValueError(f"tables {taken[name]} and {t.logical_name} would share the class {name}")
        taken[name] = t.logical_name
        lines = [f"class {name}:", f'    """``{t.logical_name}`` ({t.display_name})."""', ""]
        lines += [f'    {constant} = "{value}"' for constant, value in table_constants(t)]
        classes.append("\n".join(lines))
    return _HEADER + "\n\n" + "\n\n\n".join(classes) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``--check`` only says whether the file is current (exit 1 when stale); no argument rewrites it."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments not in ([], ["--check"]):
        print(f"usage: python -m dataverse_schema.names_source [--check]\n{__doc__.splitlines()[0]}", file=sys.stderr)
        return 0 if arguments in (["-h"], ["--help"]) else 2
    current = TARGET.read_text(encoding="utf-8") == render() if TARGET.exists() else False
    if arguments == ["--check"]:
        print(f"{TARGET} is {'current' if current else 'stale: run without --check to rewrite it'}", file=sys.stderr)
        return 0 if current else 1
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET} ({len(TABLES)} tables)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
