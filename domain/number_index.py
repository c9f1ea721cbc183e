"""The local matching index: normalised number → the CRM records that carry it.

Every configured phone column of every configured table (CALL-02, CALL-04) is
normalised with the CRM's numbering plan and indexed, so a ringing call is
matched without a Dataverse query (DESIGN principle 3). The index is kept
fresh incrementally: ``upsert`` replaces one record's numbers, ``remove``
drops a record (change tracking).

Tie-break when several records carry a number, in this order:
1. records owned by the user of the extension the call is on;
2. the configured table order (e.g. contact before account before lead);
3. the most recently modified record;
4. the record id, so the answer is deterministic.
The winner is ``best``; the others are ``also_matched``.

Speed (CALL-03: a pop-up while the phone rings): rules 2-4 do not depend on
the call, so each number's records are kept already in that order, sorted
when a record is added; a lookup only moves the extension user's records to
the front (rule 1). Each record's id text and modification time are kept as
the objects a lookup returns, so a lookup formats and converts nothing; for
the few numbers several records share, the ranked results are kept built.

Memory: numbers are int keys of one dict whose values are packed ints
(record slot and column), or a tuple of them in rank order; record
attributes live in flat per-slot lists and arrays, owners and column names
are interned. Pure: data in, answers out, no I/O.
"""

from __future__ import annotations

import uuid
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from domain.numbers import MAX_DIGITS, NumberPlan, PhoneNumber, normalise

_COLUMN_BITS = 8
_COLUMN_MASK = (1 << _COLUMN_BITS) - 1
_FREE = -1
#: Builds a named tuple from its fields without the generated ``__new__`` frame (the lookup's hot path).
_new_tuple = tuple.__new__


@dataclass(frozen=True)
class IndexedTable:
    """One table to match and the phone columns on it (CALL-02)."""

    name: str
    columns: tuple[str, ...]


class RecordRef(NamedTuple):
    """A record that carries a number: where it is, who owns it, when it changed.

    A named tuple rather than a dataclass: it is built on every lookup, and
    the lookup budget is a few microseconds.
    """

    table: str
    record_id: str
    column: str
    owner_id: str | None
    modified_on: datetime


class Match(NamedTuple):
    """The result of a lookup: the chosen record and the others that share the number (CALL-02, CALL-03).

    A named tuple for the same reason as :class:`RecordRef`: a frozen
    dataclass costs about a microsecond to build.
    """

    best: RecordRef | None
    also_matched: tuple[RecordRef, ...] = ()

    @property
    def is_ambiguous(self) -> bool:
        return bool(self.also_matched)


NO_MATCH = Match(None)


class NumberIndex:
    """Normalised phone numbers of configured tables → records (CALL-02, CALL-04).

    ``tables`` is in priority order: the earlier table wins a tie. Raw column
    values are normalised with ``plan``; values that are not outside numbers
    (garbage, internal extensions) are not indexed.
    """

    def __init__(self, tables: Sequence[IndexedTable], plan: NumberPlan):
        if not tables:
            raise ValueError("at least one table must be indexed")
        names = [t.name for t in tables]
        if len(set(names)) != len(names):
            raise ValueError(f"duplicate table in {names}")
        self._plan = plan
        self._tables = tuple(tables)
        self._table_names = tuple(names)
        self._table_rank = {t.name: i for i, t in enumerate(tables)}
        self._columns: list[str] = []
        self._column_index: dict[str, int] = {}
        for table in tables:
            for column in table.columns:
                self._intern_column(column)
        self._owners: list[str | None] = [None]
        self._owner_index: dict[str | None, int] = {None: 0}
        self._numbers: dict[int, int | tuple[int, ...]] = {}
        self._shared: dict[int, tuple[RecordRef, ...]] = {}
        self._slot_by_id: list[dict[str, int]] = [{} for _ in tables]
        self._ids: list[str] = []
        self._modified: list[datetime | None] = []
        self._table_of = array("b")
        self._owner_of = array("I")
        self._keys_of: list[int | tuple[int, ...]] = []
        self._free_slots: list[int] = []

    def __len__(self) -> int:
        """How many distinct numbers are indexed."""
        return len(self._numbers)

    @property
    def record_count(self) -> int:
        return len(self._ids) - len(self._free_slots)

    def upsert(
        self,
        table: str,
        record_id: str,
        values: Mapping[str, str | None],
        *,
        owner_id: str | None,
        modified_on: datetime,
    ) -> None:
        """Replace the numbers of one record with those in ``values`` (column → raw value).

        Columns not configured for ``table`` are ignored, so a whole Dataverse
        row can be passed. Raises ``ValueError`` for a table not configured.
        """
        table_idx = self._table_idx(table)
        if modified_on.tzinfo is None:
            raise ValueError("modified_on must be timezone-aware")
        self.remove(table, record_id)
        keys = self._keys_for(table, values)
        if not keys:
            return
        slot = self._new_slot(table_idx, _id_text(record_id), owner_id, modified_on)
        for key, column_idx in keys.items():
            self._add_number(key, slot << _COLUMN_BITS | column_idx)
        key_list = tuple(keys)
        self._keys_of[slot] = key_list[0] if len(key_list) == 1 else key_list

    def load(
        self, table: str, rows: Iterable[tuple[str, Mapping[str, str | None], str | None, datetime]]
    ) -> None:
        """Bulk ``upsert`` of ``(record_id, values, owner_id, modified_on)`` rows."""
        for record_id, values, owner_id, modified_on in rows:
            self.upsert(table, record_id, values, owner_id=owner_id, modified_on=modified_on)

    def remove(self, table: str, record_id: str) -> bool:
        """Drop a record's numbers; ``False`` when it was not indexed."""
        slot = self._slot_by_id[self._table_idx(table)].pop(_id_text(record_id), None)
        if slot is None:
            return False
        keys = self._keys_of[slot]
        for key in keys if isinstance(keys, tuple) else (keys,):
            self._drop_number(key, slot)
        self._keys_of[slot] = _FREE
        self._ids[slot] = ""
        self._modified[slot] = None
        self._free_slots.append(slot)
        return True

    def lookup(self, number: PhoneNumber | str | int, *, owner_id: str | None = None) -> Match:
        """Records carrying ``number`` (E.164 string, :class:`PhoneNumber` or key), best first.

        ``owner_id`` is the user of the extension the call is on: their
        records win ties (CALL-03, CALL-34).
        """
        key = number if type(number) is int else _number_key(number)
        entries = self._numbers.get(key)
        if entries is None:
            return NO_MATCH
        if type(entries) is int:
            return _new_tuple(Match, (self._ref(entries), ()))
        refs = self._shared[key]
        if owner_id is not None:
            mine = [r for r in refs if r.owner_id == owner_id]
            if mine and len(mine) < len(refs):
                refs = (*mine, *[r for r in refs if r.owner_id != owner_id])
        return _new_tuple(Match, (refs[0], refs[1:]))

    def _ref(self, packed: int) -> RecordRef:
        slot = packed >> _COLUMN_BITS
        return _new_tuple(RecordRef, (
            self._table_names[self._table_of[slot]],
            self._ids[slot],
            self._columns[packed & _COLUMN_MASK],
            self._owners[self._owner_of[slot]],
            self._modified[slot],
        ))

    def _table_idx(self, table: str) -> int:
        try:
            return self._table_rank[table]
        except KeyError:
            raise ValueError(f"table {table!r} is not configured for matching") from None

    def _intern_column(self, column: str) -> int:
        if column not in self._column_index:
            if len(self._columns) > _COLUMN_MASK:
                raise ValueError(f"more than {_COLUMN_MASK + 1} phone columns configured")
            self._column_index[column] = len(self._columns)
            self._columns.append(column)
        return self._column_index[column]

    def _keys_for(self, table: str, values: Mapping[str, str | None]) -> dict[int, int]:
        """Number key → the first configured column carrying it: a record is listed once per number."""
        keys: dict[int, int] = {}
        for column in self._tables[self._table_rank[table]].columns:
            number = normalise(values.get(column), self._plan)
            if number is not None and number.is_external:
                keys.setdefault(number.key, self._column_index[column])
        return keys

    def _new_slot(self, table_idx: int, record_id: str, owner_id: str | None, modified_on: datetime) -> int:
        owner_idx = self._owner_index.get(owner_id)
        if owner_idx is None:
            owner_idx = self._owner_index[owner_id] = len(self._owners)
            self._owners.append(owner_id)
        if self._free_slots:
            slot = self._free_slots.pop()
            self._ids[slot], self._modified[slot] = record_id, modified_on
            self._table_of[slot], self._owner_of[slot] = table_idx, owner_idx
        else:
            slot = len(self._ids)
            self._ids.append(record_id)
            self._modified.append(modified_on)
            self._table_of.append(table_idx)
            self._owner_of.append(owner_idx)
            self._keys_of.append(_FREE)
        self._slot_by_id[table_idx][record_id] = slot
        return slot

    def _rank_of(self, packed: int) -> tuple[int, float, str]:
        """Rules 2-4: table order, most recent first, record id."""
        slot = packed >> _COLUMN_BITS
        modified = self._modified[slot]
        return self._table_of[slot], -modified.timestamp() if modified else 0.0, self._ids[slot]

    def _add_number(self, key: int, packed: int) -> None:
        current = self._numbers.get(key)
        if current is None:
            self._numbers[key] = packed
        else:
            entries = (current, packed) if isinstance(current, int) else (*current, packed)
            self._set_shared(key, tuple(sorted(entries, key=self._rank_of)))

    def _drop_number(self, key: int, slot: int) -> None:
        current = self._numbers.get(key)
        if current is None:
            return
        kept = tuple(
            e for e in (current if isinstance(current, tuple) else (current,)) if e >> _COLUMN_BITS != slot
        )
        if len(kept) > 1:
            self._set_shared(key, kept)
            return
        self._shared.pop(key, None)
        if kept:
            self._numbers[key] = kept[0]
        else:
            del self._numbers[key]

    def _set_shared(self, key: int, entries: tuple[int, ...]) -> None:
        """A number several records carry: its ranked entries and their built results (a few % of numbers)."""
        self._numbers[key] = entries
        self._shared[key] = tuple(self._ref(e) for e in entries)


def _id_text(record_id: str) -> str:
    """Dataverse ids are GUIDs, compared and returned in lower case; other ids are kept as given."""
    try:
        lowered = record_id.lower()
        return lowered if str(uuid.UUID(lowered)) == lowered else record_id
    except (ValueError, AttributeError, TypeError):
        return record_id


def _number_key(number: PhoneNumber | str | int) -> int:
    if isinstance(number, int):
        return number
    if isinstance(number, PhoneNumber):
        return number.key
    digits = number.lstrip("+")
    return int(digits) if digits.isdecimal() and len(digits) <= MAX_DIGITS else -1
