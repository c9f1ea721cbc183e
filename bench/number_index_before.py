"""The number index as it was before the lookup was made cheaper (commit 7d6c60b), kept only so
``bench/number_index.py`` can print old and new side by side in one run. Not used by the suite."""

# ruff: noqa
from __future__ import annotations

import uuid
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import NamedTuple

from domain.numbers import NumberPlan, PhoneNumber, normalise

_COLUMN_BITS = 8
_COLUMN_MASK = (1 << _COLUMN_BITS) - 1
_FREE = -1


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


@dataclass(frozen=True)
class Match:
    """The result of a lookup: the chosen record and the others that share the number."""

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
        self._table_rank = {t.name: i for i, t in enumerate(tables)}
        self._columns: list[str] = []
        self._column_index: dict[str, int] = {}
        for table in tables:
            for column in table.columns:
                self._intern_column(column)
        self._owners: list[str | None] = [None]
        self._owner_index: dict[str | None, int] = {None: 0}
        self._numbers: dict[int, int | tuple[int, ...]] = {}
        self._slot_by_id: list[dict[int | str, int]] = [{} for _ in tables]
        self._ids: list[int | str] = []
        self._table_of = array("b")
        self._owner_of = array("I")
        self._modified_of = array("q")
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
        slot = self._new_slot(table_idx, _id_key(record_id), owner_id, modified_on)
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
        slot = self._slot_by_id[self._table_idx(table)].pop(_id_key(record_id), None)
        if slot is None:
            return False
        keys = self._keys_of[slot]
        for key in keys if isinstance(keys, tuple) else (keys,):
            self._drop_number(key, slot)
        self._keys_of[slot] = _FREE
        self._ids[slot] = ""
        self._free_slots.append(slot)
        return True

    def lookup(self, number: PhoneNumber | str | int, *, owner_id: str | None = None) -> Match:
        """Records carrying ``number`` (E.164 string, :class:`PhoneNumber` or key), best first.

        ``owner_id`` is the user of the extension the call is on: their
        records win ties (CALL-03, CALL-34).
        """
        entries = self._numbers.get(_number_key(number))
        if entries is None:
            return NO_MATCH
        if isinstance(entries, int):
            return Match(self._ref(entries))
        refs = sorted((self._ref(e) for e in _unique_records(entries)), key=self._rank_key(owner_id))
        return Match(refs[0], tuple(refs[1:]))

    def _rank_key(self, owner_id: str | None):
        rank = self._table_rank

        def key(ref: RecordRef) -> tuple[bool, int, float, str]:
            is_other_owner = owner_id is None or ref.owner_id != owner_id
            return is_other_owner, rank[ref.table], -ref.modified_on.timestamp(), ref.record_id

        return key

    def _ref(self, packed: int) -> RecordRef:
        slot = packed >> _COLUMN_BITS
        record_id = self._ids[slot]
        return RecordRef(
            table=self._tables[self._table_of[slot]].name,
            record_id=_guid_text(record_id) if isinstance(record_id, int) else record_id,
            column=self._columns[packed & _COLUMN_MASK],
            owner_id=self._owners[self._owner_of[slot]],
            modified_on=datetime.fromtimestamp(self._modified_of[slot], UTC),
        )

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
        keys: dict[int, int] = {}
        for column in self._tables[self._table_rank[table]].columns:
            number = normalise(values.get(column), self._plan)
            if number is not None and number.is_external:
                keys.setdefault(number.key, self._column_index[column])
        return keys

    def _new_slot(
        self, table_idx: int, id_key: int | str, owner_id: str | None, modified_on: datetime
    ) -> int:
        owner_idx = self._owner_index.get(owner_id)
        if owner_idx is None:
            owner_idx = self._owner_index[owner_id] = len(self._owners)
            self._owners.append(owner_id)
        modified_s = int(modified_on.timestamp())
        if self._free_slots:
            slot = self._free_slots.pop()
            self._ids[slot], self._table_of[slot] = id_key, table_idx
            self._owner_of[slot], self._modified_of[slot] = owner_idx, modified_s
        else:
            slot = len(self._ids)
            self._ids.append(id_key)
            self._table_of.append(table_idx)
            self._owner_of.append(owner_idx)
            self._modified_of.append(modified_s)
            self._keys_of.append(_FREE)
        self._slot_by_id[table_idx][id_key] = slot
        return slot

    def _add_number(self, key: int, packed: int) -> None:
        current = self._numbers.get(key)
        if current is None:
            self._numbers[key] = packed
        elif isinstance(current, int):
            self._numbers[key] = (current, packed)
        else:
            self._numbers[key] = (*current, packed)

    def _drop_number(self, key: int, slot: int) -> None:
        current = self._numbers.get(key)
        if current is None:
            return
        kept = tuple(
            e for e in (current if isinstance(current, tuple) else (current,)) if e >> _COLUMN_BITS != slot
        )
        if not kept:
            del self._numbers[key]
        else:
            self._numbers[key] = kept[0] if len(kept) == 1 else kept


def _unique_records(entries: tuple[int, ...]) -> list[int]:
    """One entry per record (its first column), when a record carries a number twice."""
    seen: dict[int, int] = {}
    for packed in entries:
        seen.setdefault(packed >> _COLUMN_BITS, packed)
    return list(seen.values())


def _id_key(record_id: str) -> int | str:
    """Dataverse ids are GUIDs: keep them as one int instead of a 36-character string."""
    try:
        parsed = uuid.UUID(record_id)
    except (ValueError, AttributeError, TypeError):
        return record_id
    return parsed.int if str(parsed) == record_id.lower() else record_id


def _guid_text(value: int) -> str:
    """``uuid.UUID(int=value)`` as text, without building the UUID object (twice as fast)."""
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _number_key(number: PhoneNumber | str | int) -> int:
    if isinstance(number, int):
        return number
    if isinstance(number, PhoneNumber):
        return number.key
    digits = number.lstrip("+")
    return int(digits) if digits.isdigit() else -1
