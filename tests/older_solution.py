"""The tables of an environment whose CommSuite solution predates this release's columns (X-01).

A host updated before the solution is imported meets these: the emulator started with
:func:`older_tables` lacks the columns exactly as such an environment does, so it refuses
them with Dataverse's own 400s.
"""

from __future__ import annotations

from dataclasses import replace

from dataverse_schema.model import Table
from dataverse_schema.names import FaxServer, SmsOptOut
from emulator.server.tables import tables_for

#: The columns this release adds that a host uses when the environment has them.
NEW_COLUMNS: dict[str, tuple[str, ...]] = {
    SmsOptOut.TABLE: (SmsOptOut.NORMALISEDNUMBER,),
    FaxServer.TABLE: (FaxServer.HEADERTIMEZONE, FaxServer.HEADERCALENDAR, FaxServer.HEADERLANGUAGE),
}


def older_tables() -> tuple[Table, ...]:
    """Every installed table, less :data:`NEW_COLUMNS`."""
    return tuple(_without(table, NEW_COLUMNS.get(table.logical_name, ())) for table in tables_for("installed"))


def _without(table: Table, columns: tuple[str, ...]) -> Table:
    if not columns:
        return table
    kept = tuple(c for c in table.columns if c.logical_name not in columns)
    return replace(
        table,
        columns=kept,
        keys=tuple(k for k in table.keys if not set(k.columns) & set(columns)),
        relationships=tuple(r for r in table.relationships if r.lookup not in columns),
    )
