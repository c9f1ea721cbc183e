"""Alternate keys on their way to Active, and the checks a new key must pass.

A new key is ``Pending`` until it has been reported ``Pending`` once or ``key_activation_s``
has passed (microsoft/PowerPlatform-DataverseClient-Python:src/PowerPlatform/Dataverse/data/_odata.py);
only then does the catalog install it, so upserts by it fail before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from dataverse_schema.model import AlternateKey, ColumnType, Table
from emulator.errors import DUPLICATE, ODataError
from emulator.metadata import invalid

#: Column types Dataverse allows in an alternate key.
KEYABLE = frozenset(
    {
        ColumnType.STRING,
        ColumnType.INTEGER,
        ColumnType.BIGINT,
        ColumnType.DECIMAL,
        ColumnType.DATETIME,
        ColumnType.LOOKUP,
        ColumnType.PICKLIST,
        ColumnType.UNIQUEIDENTIFIER,
    }
)
MAX_KEYS = 10


def check_new_key(table: Table, key: AlternateKey, taken: Iterable[str]) -> None:
    """Refuse a key on missing or unkeyable columns, a name in use, or one key too many."""
    for name in key.columns:
        if not table.has_column(name):
            raise invalid(f"Key column '{name}' does not exist on '{table.logical_name}'.")
        if table.column(name).type not in KEYABLE:
            raise invalid(f"Column '{name}' of type {table.column(name).type.value} cannot be part of a key.")
    taken = set(taken)
    if key.logical_name in taken:
        raise ODataError(400, DUPLICATE, f"A key named '{key.schema_name}' already exists on '{table.logical_name}'.")
    if len(taken) >= MAX_KEYS:
        raise invalid(f"'{table.logical_name}' already has the maximum of {MAX_KEYS} alternate keys.")


@dataclass
class _Pending:
    key: AlternateKey
    created_at: float
    reported: bool = False


class PendingKeys:
    """Keys created but not yet Active, by table and key logical name."""

    def __init__(self, activation_s: float, clock: Callable[[], float]) -> None:
        self._activation_s = activation_s
        self._clock = clock
        self._pending: dict[tuple[str, str], _Pending] = {}

    def __bool__(self) -> bool:
        return bool(self._pending)

    def add(self, table: str, key: AlternateKey) -> None:
        self._pending[(table, key.logical_name)] = _Pending(key, self._clock())

    def names(self, table: str) -> set[str]:
        return {name for owner, name in self._pending if owner == table}

    def report(self, table: str) -> list[AlternateKey]:
        """The table's Pending keys; reporting one makes it due."""
        found = []
        for (owner, _), pending in self._pending.items():
            if owner == table:
                pending.reported = True
                found.append(pending.key)
        return found

    def take_due(self) -> list[tuple[str, AlternateKey]]:
        """Remove and return the keys that are due to become Active."""
        now = self._clock()
        due = [
            name
            for name, pending in self._pending.items()
            if pending.reported or now - pending.created_at >= self._activation_s
        ]
        return [(name[0], self._pending.pop(name).key) for name in due]

    def forget_table(self, table: str) -> None:
        for name in [name for name in self._pending if name[0] == table]:
            del self._pending[name]
