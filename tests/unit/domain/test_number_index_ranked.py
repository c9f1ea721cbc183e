"""The index keeps each number's records in rank order as records change (CALL-02, CALL-03, CALL-04).

Rules 2-4 of the matching rule (table order, most recent, record id) are
applied when a record is added, not at lookup; these tests change, move and
delete records and check that every lookup still answers as the rule says,
against a model that sorts from scratch.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.number_index import NO_MATCH, IndexedTable, Match, NumberIndex, RecordRef
from domain.numbers import NumberPlan

PLAN = NumberPlan()
TABLES = (
    IndexedTable("contact", ("telephone1", "mobilephone")),
    IndexedTable("account", ("telephone1",)),
    IndexedTable("lead", ("telephone1",)),
)
SHARED = "+982188881234"
GUID = "0b6c33a2-1d5e-4c8f-9a51-7f0d8e9c1a2b"


def at(day: int) -> datetime:
    return datetime(2024, 5, day, 10, 0, tzinfo=UTC)


def order(match: Match) -> list[str]:
    return [r.record_id for r in (match.best, *match.also_matched) if r is not None]


@pytest.fixture
def index():
    return NumberIndex(TABLES, PLAN)


def test_a_modified_record_moves_up_among_its_table(index):
    for record, day in (("c1", 1), ("c2", 2), ("c3", 3)):
        index.upsert("contact", record, {"telephone1": "02188881234"}, owner_id=None, modified_on=at(day))
    assert order(index.lookup(SHARED)) == ["c3", "c2", "c1"]
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(9))
    assert order(index.lookup(SHARED)) == ["c1", "c3", "c2"]


def test_equal_times_fall_back_to_the_record_id(index):
    for record in ("c-b", "c-c", "c-a"):
        index.upsert("contact", record, {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    assert order(index.lookup(SHARED)) == ["c-a", "c-b", "c-c"]


def test_deleting_the_best_record_promotes_the_next(index):
    index.upsert("account", "a1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(5))
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    index.upsert("lead", "l1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(9))
    assert order(index.lookup(SHARED)) == ["c1", "a1", "l1"]
    assert index.remove("contact", "c1")
    assert order(index.lookup(SHARED)) == ["a1", "l1"]
    assert index.remove("account", "a1")
    match = index.lookup(SHARED)
    assert order(match) == ["l1"] and not match.is_ambiguous


def test_a_record_that_drops_the_number_leaves_it(index):
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    index.upsert("contact", "c2", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(2))
    index.upsert("contact", "c2", {"telephone1": "02177776666"}, owner_id=None, modified_on=at(3))
    assert order(index.lookup(SHARED)) == ["c1"]
    assert order(index.lookup("+982177776666")) == ["c2"]


def test_a_record_added_after_a_remove_carries_its_own_rank(index):
    index.upsert("contact", "c-old", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(9))
    index.upsert("contact", "c-mid", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(5))
    index.remove("contact", "c-old")
    index.upsert("contact", "c-new", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    assert order(index.lookup(SHARED)) == ["c-mid", "c-new"]
    assert index.record_count == 2


def test_owner_first_keeps_the_rank_order_within_each_group(index):
    index.upsert("lead", "l-bob", {"telephone1": "02188881234"}, owner_id="bob", modified_on=at(9))
    index.upsert("contact", "c-ann", {"telephone1": "02188881234"}, owner_id="ann", modified_on=at(1))
    index.upsert("account", "a-bob", {"telephone1": "02188881234"}, owner_id="bob", modified_on=at(2))
    index.upsert("contact", "c-bob", {"telephone1": "02188881234"}, owner_id="bob", modified_on=at(3))
    assert order(index.lookup(SHARED, owner_id="bob")) == ["c-bob", "a-bob", "l-bob", "c-ann"]
    assert order(index.lookup(SHARED, owner_id="ann")) == ["c-ann", "c-bob", "a-bob", "l-bob"]
    assert order(index.lookup(SHARED, owner_id="nobody-here")) == ["c-bob", "c-ann", "a-bob", "l-bob"]


def test_a_lookup_returns_the_records_own_values(index):
    modified = datetime(2024, 5, 1, 10, 0, 7, tzinfo=UTC)
    index.upsert("contact", GUID.upper(), {"mobilephone": "0912 123 4567"}, owner_id="ann", modified_on=modified)
    match = index.lookup("+989121234567")
    assert match == Match(RecordRef("contact", GUID, "mobilephone", "ann", modified))
    assert match.best.modified_on.tzinfo is not None


def test_non_guid_ids_keep_their_case_and_are_told_apart(index):
    index.upsert("contact", "Rec-1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    index.upsert("contact", "rec-1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(2))
    assert order(index.lookup(SHARED)) == ["rec-1", "Rec-1"]
    assert index.remove("contact", "Rec-1") and not index.remove("contact", "REC-1")


@pytest.mark.parametrize(
    "hostile",
    ["", "+", "++98", "98 21", "9" * 400, "9" * 5000, "²", "+98²1", "-982188881234", "\x00", "98218888123\u200f4"],
)
def test_hostile_lookups_find_nothing_and_raise_nothing(index, hostile):
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    assert index.lookup(hostile) is NO_MATCH


def test_e164_written_in_arabic_indic_digits_is_the_same_number(index):
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    assert order(index.lookup("+٩٨٢١٨٨٨٨١٢٣٤")) == ["c1"]


def test_hostile_keys_and_owners_find_nothing(index):
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    assert index.lookup(-1) is NO_MATCH and index.lookup(0) is NO_MATCH and index.lookup(10**40) is NO_MATCH
    assert order(index.lookup(SHARED, owner_id="")) == ["c1"]


def _model_order(
    model: dict[tuple[str, str], tuple[int, str | None, datetime]], number: int, owner: str | None
) -> list[str]:
    rank = {t.name: i for i, t in enumerate(TABLES)}
    carrying = [
        (table, record, owner_id, modified) for (table, record), (n, owner_id, modified) in model.items() if n == number
    ]
    carrying.sort(key=lambda r: (owner is None or r[2] != owner, rank[r[0]], -r[3].timestamp(), r[1]))
    return [record for _table, record, _owner, _modified in carrying]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["contact", "account", "lead"]),
            st.integers(0, 6),
            st.integers(0, 2),
            st.sampled_from([None, "ann", "bob"]),
            st.integers(0, 4),
            st.booleans(),
        ),
        max_size=60,
    ),
    st.sampled_from([None, "ann", "bob"]),
)
def test_rank_order_agrees_with_sorting_from_scratch(operations, owner):
    index = NumberIndex(TABLES, PLAN)
    model: dict[tuple[str, str], tuple[int, str | None, datetime]] = {}
    for table, record, number, owner_id, hours, is_remove in operations:
        record_id = f"r{record}"
        if is_remove:
            assert index.remove(table, record_id) == ((table, record_id) in model)
            model.pop((table, record_id), None)
            continue
        modified = at(1) + timedelta(hours=hours)
        index.upsert(
            table, record_id, {"telephone1": f"021888800{number:02d}"}, owner_id=owner_id, modified_on=modified
        )
        model[(table, record_id)] = (number, owner_id, modified)
    for number in range(3):
        match = index.lookup(f"+9821888800{number:02d}", owner_id=owner)
        assert order(match) == _model_order(model, number, owner)
    assert index.record_count == len(model)


# Updates and deletes: each number keeps the refs a lookup returns, so every change must rebuild them.

OTHER = "+989121234567"


def refs(match: Match) -> list[RecordRef]:
    return [r for r in (match.best, *match.also_matched) if r is not None]


def test_updating_a_single_number_record_returns_its_new_values(index):
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id="ann", modified_on=at(1))
    index.upsert("contact", "c1", {"mobilephone": "02188881234"}, owner_id="bob", modified_on=at(2))
    assert index.lookup(SHARED) == Match(RecordRef("contact", "c1", "mobilephone", "bob", at(2)))
    assert (len(index), index.record_count) == (1, 1)


def test_updating_a_shared_number_record_rebuilds_its_ref_and_rank(index):
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id="ann", modified_on=at(5))
    index.upsert("contact", "c2", {"telephone1": "02188881234"}, owner_id="ann", modified_on=at(3))
    index.upsert("contact", "c2", {"mobilephone": "02188881234"}, owner_id="bob", modified_on=at(7))
    assert refs(index.lookup(SHARED)) == [
        RecordRef("contact", "c2", "mobilephone", "bob", at(7)),
        RecordRef("contact", "c1", "telephone1", "ann", at(5)),
    ]
    assert (len(index), index.record_count) == (1, 2)


def test_an_owner_moving_changes_who_wins_the_tie(index):
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id="ann", modified_on=at(5))
    index.upsert("contact", "c2", {"telephone1": "02188881234"}, owner_id="bob", modified_on=at(3))
    assert order(index.lookup(SHARED, owner_id="bob")) == ["c2", "c1"]
    index.upsert("contact", "c2", {"telephone1": "02188881234"}, owner_id="ann", modified_on=at(3))
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id="bob", modified_on=at(5))
    assert order(index.lookup(SHARED, owner_id="bob")) == ["c1", "c2"]
    assert order(index.lookup(SHARED, owner_id="ann")) == ["c2", "c1"]
    assert [r.owner_id for r in refs(index.lookup(SHARED))] == ["bob", "ann"]


def test_an_owner_moving_on_a_single_number_record(index):
    index.upsert("lead", "l1", {"telephone1": "02188881234"}, owner_id="ann", modified_on=at(1))
    index.upsert("lead", "l1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(2))
    assert index.lookup(SHARED, owner_id="ann") == Match(RecordRef("lead", "l1", "telephone1", None, at(2)))


def test_a_record_losing_one_of_two_numbers_keeps_the_other(index):
    index.upsert(
        "contact", "c1", {"telephone1": "02188881234", "mobilephone": "09121234567"}, owner_id=None, modified_on=at(1)
    )
    index.upsert("contact", "c1", {"telephone1": "02188881234", "mobilephone": None}, owner_id=None, modified_on=at(2))
    assert index.lookup(OTHER) is NO_MATCH
    assert index.lookup(SHARED) == Match(RecordRef("contact", "c1", "telephone1", None, at(2)))
    assert (len(index), index.record_count) == (1, 1)


def test_a_record_losing_a_shared_number_leaves_the_other_record_alone(index):
    index.upsert(
        "contact", "c1", {"telephone1": "02188881234", "mobilephone": "09121234567"}, owner_id=None, modified_on=at(1)
    )
    index.upsert("account", "a1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(2))
    index.upsert("contact", "c1", {"mobilephone": "09121234567"}, owner_id=None, modified_on=at(3))
    assert index.lookup(SHARED) == Match(RecordRef("account", "a1", "telephone1", None, at(2)))
    assert index.lookup(OTHER) == Match(RecordRef("contact", "c1", "mobilephone", None, at(3)))


def test_removing_a_record_with_a_shared_and_an_own_number(index):
    index.upsert(
        "contact", "c1", {"telephone1": "02188881234", "mobilephone": "09121234567"}, owner_id=None, modified_on=at(1)
    )
    index.upsert("account", "a1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(2))
    index.upsert("lead", "l1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(3))
    assert index.remove("contact", "c1")
    assert index.lookup(OTHER) is NO_MATCH
    assert order(index.lookup(SHARED)) == ["a1", "l1"]
    assert index.remove("lead", "l1")
    assert index.lookup(SHARED) == Match(RecordRef("account", "a1", "telephone1", None, at(2)))
    assert (len(index), index.record_count) == (1, 1)


def test_an_upsert_without_numbers_removes_the_record(index):
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    index.upsert("contact", "c1", {"telephone1": "101"}, owner_id=None, modified_on=at(2))
    assert index.lookup(SHARED) is NO_MATCH
    assert (len(index), index.record_count) == (0, 0)
    assert not index.remove("contact", "c1")


def test_the_same_id_in_two_tables_is_two_records(index):
    index.upsert("contact", GUID, {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    index.upsert("account", GUID, {"telephone1": "02188881234"}, owner_id=None, modified_on=at(2))
    assert [r.table for r in refs(index.lookup(SHARED))] == ["contact", "account"]
    assert index.remove("contact", GUID.upper())
    assert index.lookup(SHARED) == Match(RecordRef("account", GUID, "telephone1", None, at(2)))
    assert not index.remove("lead", GUID)


def test_a_lookup_returns_the_kept_objects_and_owners_are_shared(index):
    index.upsert("contact", "c1", {"telephone1": "02188881234"}, owner_id="".join(["a", "nn"]), modified_on=at(1))
    index.upsert("contact", "c2", {"mobilephone": "09121234567"}, owner_id="".join(["an", "n"]), modified_on=at(1))
    first, again, other = index.lookup(SHARED).best, index.lookup(SHARED).best, index.lookup(OTHER).best
    assert first is again
    assert first.owner_id is other.owner_id


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["contact", "account", "lead"]),
            st.integers(0, 4),
            st.sampled_from([None, 0, 1, 2]),
            st.sampled_from([None, 0, 1, 2]),
            st.sampled_from([None, "ann", "bob"]),
            st.integers(0, 4),
            st.booleans(),
        ),
        max_size=60,
    ),
    st.sampled_from([None, "ann", "bob"]),
)
def test_two_column_records_agree_with_a_model(operations, owner):
    """Records with up to two numbers, changed, moved between owners and removed: every ref as a model builds it."""
    index = NumberIndex(TABLES, PLAN)
    model: dict[tuple[str, str], dict[str, RecordRef]] = {}
    columns = {t.name: t.columns for t in TABLES}
    for table, record, first, second, owner_id, hours, is_remove in operations:
        record_id = f"r{record}"
        if is_remove:
            assert index.remove(table, record_id) == ((table, record_id) in model)
            model.pop((table, record_id), None)
            continue
        modified = at(1) + timedelta(hours=hours)
        values = {"telephone1": first, "mobilephone": second}
        index.upsert(
            table,
            record_id,
            {c: None if n is None else f"021888800{n:02d}" for c, n in values.items()},
            owner_id=owner_id,
            modified_on=modified,
        )
        carried: dict[str, RecordRef] = {}
        for column in columns[table]:
            if values[column] is not None:
                carried.setdefault(
                    f"+9821888800{values[column]:02d}", RecordRef(table, record_id, column, owner_id, modified)
                )
        model.pop((table, record_id), None)
        if carried:
            model[(table, record_id)] = carried
    rank = {t.name: i for i, t in enumerate(TABLES)}
    for n in range(3):
        number = f"+9821888800{n:02d}"
        expected = sorted(
            (carried[number] for carried in model.values() if number in carried),
            key=lambda r: (
                owner is None or r.owner_id != owner,
                rank[r.table],
                -r.modified_on.timestamp(),
                r.record_id,
            ),
        )
        assert refs(index.lookup(number, owner_id=owner)) == expected
    assert len(index) == len({number for carried in model.values() for number in carried})
    assert index.record_count == len(model)
