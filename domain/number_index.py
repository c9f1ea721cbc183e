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

Speed (CALL-03: a pop-up while the phone rings): each number maps to the
:class:`RecordRef` a lookup returns, built when the record is added, so a
lookup of a number one record carries is one dictionary probe and one small
tuple. Rules 2-4 do not depend on the call, so a number several records share
maps to its refs already in that order, sorted when a record is added; a
lookup only moves the extension user's records to the front (rule 1).

Memory: numbers are int keys of one dict whose values are the refs; a ref
holds the record's own id text and modification time, and owners and column
names are interned. Per table, record id → its number key(s), so ``upsert``
and ``remove`` find the refs to take out. Pure: data in, answers out, no I/O.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from domain.numbers import MAX_DIGITS, NumberPlan, PhoneNumber, normalise

#: Builds a named tuple from its fields without the generated ``__new__`` frame (the lookup's hot path).
_new_tuple = tuple.__new__


@dataclass(frozen=True)
class IndexedTable:
    """One table to match and the phone columns on it (CALL-02)."""

    name: str
    columns: tuple[str, ...]


class RecordRef(NamedTuple):
    """A record that carries a number: where it is, who owns it, when it changed.

    A named tuple rather than a dataclass: the index keeps one per indexed
    number, and a dataclass instance is twice the size.
    """

    table: str
    record_id: str
    column: str
    owner_id: str | None
    modified_on: datetime


class Match(NamedTuple):
    """The result of a lookup: the chosen record and the others that share the number (CALL-02, CALL-03).

    A named tuple: it is built on every lookup, and a frozen dataclass costs
    about a microsecond to build.
    """

    best: RecordRef | None
    also_matched: tuple[RecordRef, ...] = ()

    @property
    def is_ambiguous(self) -> bool:
        return bool(self.also_matched)


NO_MATCH = Match(None)

#: A number's value in the index: the one record carrying it, or the records sharing it in rank order (rules 2-4).
_Entry = RecordRef | tuple[RecordRef, ...]


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
        self._table_rank = {t.name: i for i, t in enumerate(tables)}
        interned: dict[str, str] = {}
        self._tables = tuple(IndexedTable(t.name, tuple(interned.setdefault(c, c) for c in t.columns)) for t in tables)
        self._owners: dict[str | None, str | None] = {None: None}
        self._numbers: dict[int, _Entry] = {}
        self._keys_by_id: tuple[dict[str, int | tuple[int, ...]], ...] = tuple({} for _ in tables)

    def __len__(self) -> int:
        """How many distinct numbers are indexed."""
        return len(self._numbers)

    @property
    def record_count(self) -> int:
        return sum(len(keys) for keys in self._keys_by_id)

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
        record_id = _id_text(record_id)
        self._drop_record(table_idx, record_id)
        keys = self._keys_for(table_idx, values)
        if not keys:
            return
        name = self._tables[table_idx].name
        owner_id = self._owners.setdefault(owner_id, owner_id)
        for key, column in keys.items():
            self._add_ref(key, _new_tuple(RecordRef, (name, record_id, column, owner_id, modified_on)))
        self._keys_by_id[table_idx][record_id] = next(iter(keys)) if len(keys) == 1 else tuple(keys)

    def load(self, table: str, rows: Iterable[tuple[str, Mapping[str, str | None], str | None, datetime]]) -> None:
        """Bulk ``upsert`` of ``(record_id, values, owner_id, modified_on)`` rows."""
        for record_id, values, owner_id, modified_on in rows:
            self.upsert(table, record_id, values, owner_id=owner_id, modified_on=modified_on)

    def remove(self, table: str, record_id: str) -> bool:
        """Drop a record's numbers; ``False`` when it was not indexed."""
        return self._drop_record(self._table_idx(table), _id_text(record_id))

    def lookup(self, number: PhoneNumber | str | int, *, owner_id: str | None = None) -> Match:
        """Records carrying ``number`` (E.164 string, :class:`PhoneNumber` or key), best first.

        ``owner_id`` is the user of the extension the call is on: their
        records win ties (CALL-03, CALL-34).
        """
        key = number if type(number) is int else _number_key(number)
        found = self._numbers.get(key)
        if found is None:
            return NO_MATCH
        if type(found) is not tuple:
            return _new_tuple(Match, (found, ()))
        if owner_id is not None:
            mine = [r for r in found if r.owner_id == owner_id]
            if mine and len(mine) < len(found):
                found = (*mine, *[r for r in found if r.owner_id != owner_id])
        return _new_tuple(Match, (found[0], found[1:]))

    def _table_idx(self, table: str) -> int:
        try:
            return self._table_rank[table]
        except KeyError:
            raise ValueError(f"table {table!r} is not configured for matching") from None

    def _keys_for(self, table_idx: int, values: Mapping[str, str | None]) -> dict[int, str]:
        """Number key → the first configured column carrying it: a record is listed once per number."""
        keys: dict[int, str] = {}
        for column in self._tables[table_idx].columns:
            number = normalise(values.get(column), self._plan)
            if number is not None and number.is_external:
                keys.setdefault(number.key, column)
        return keys

    def _rank_of(self, ref: RecordRef) -> tuple[int, float, str]:
        """Rules 2-4: table order, most recent first, record id."""
        return self._table_rank[ref.table], -ref.modified_on.timestamp(), ref.record_id

    def _add_ref(self, key: int, ref: RecordRef) -> None:
        current = self._numbers.get(key)
        if current is None:
            self._numbers[key] = ref
            return
        refs = (*current, ref) if type(current) is tuple else (current, ref)
        self._numbers[key] = tuple(sorted(refs, key=self._rank_of))

    def _drop_record(self, table_idx: int, record_id: str) -> bool:
        """Take the record's refs out of each number it carries; ``False`` when it was not indexed."""
        keys = self._keys_by_id[table_idx].pop(record_id, None)
        if keys is None:
            return False
        table = self._tables[table_idx].name
        for key in keys if type(keys) is tuple else (keys,):
            current = self._numbers.pop(key)
            if type(current) is not tuple:
                continue
            kept = tuple(r for r in current if r.record_id != record_id or r.table != table)
            if kept:
                self._numbers[key] = kept[0] if len(kept) == 1 else kept
        return True


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
