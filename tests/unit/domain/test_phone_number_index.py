"""The matching index and its tie-break rule (CALL-02, CALL-04)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.number_index import IndexedTable, NumberIndex
from domain.numbers import NumberPlan, normalise

PLAN = NumberPlan()
TABLES = (
    IndexedTable("contact", ("telephone1", "mobilephone")),
    IndexedTable("account", ("telephone1",)),
    IndexedTable("lead", ("telephone1", "mobilephone")),
)
GUID_A = "5f0e6c1c-0000-4000-8000-00000000000a"
GUID_B = "5f0e6c1c-0000-4000-8000-00000000000b"
ALICE, BOB = "user-alice", "user-bob"


def at(day: int) -> datetime:
    return datetime(2024, 5, day, 10, 0, tzinfo=UTC)


@pytest.fixture
def index():
    return NumberIndex(TABLES, PLAN)


def test_lookup_finds_the_record_whatever_the_spelling(index):
    index.upsert("contact", GUID_A, {"telephone1": "021 8888 1234"}, owner_id=ALICE, modified_on=at(1))
    for spelling in ("+982188881234", normalise("88881234", PLAN), 982188881234):
        match = index.lookup(spelling)
        assert match.best.record_id == GUID_A
        assert (match.best.table, match.best.column, match.best.owner_id) == ("contact", "telephone1", ALICE)
        assert match.best.modified_on == at(1)
        assert not match.is_ambiguous


def test_unknown_number_and_junk_find_nothing(index):
    assert index.lookup("+989121234567").best is None
    assert index.lookup("not a number").best is None


def test_every_configured_column_is_indexed_and_others_ignored(index):
    index.upsert(
        "contact",
        GUID_A,
        {"telephone1": "02188881234", "mobilephone": "09121234567", "fax": "02199998888"},
        owner_id=None,
        modified_on=at(1),
    )
    assert index.lookup("+989121234567").best.column == "mobilephone"
    assert index.lookup("+982199998888").best is None
    assert len(index) == 2


def test_internal_and_garbage_values_are_not_indexed(index):
    index.upsert("contact", GUID_A, {"telephone1": "101", "mobilephone": "n/a"}, owner_id=None, modified_on=at(1))
    assert len(index) == 0 and index.record_count == 0


def test_upsert_replaces_a_records_numbers(index):
    index.upsert("contact", GUID_A, {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    index.upsert("contact", GUID_A, {"telephone1": "02177776666"}, owner_id=None, modified_on=at(2))
    assert index.lookup("+982188881234").best is None
    assert index.lookup("+982177776666").best.modified_on == at(2)
    assert index.record_count == 1


def test_remove_drops_the_record_and_frees_its_number(index):
    index.upsert("contact", GUID_A, {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    assert index.remove("contact", GUID_A)
    assert not index.remove("contact", GUID_A)
    assert index.lookup("+982188881234").best is None
    index.upsert("lead", GUID_B, {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    assert index.lookup("+982188881234").best.table == "lead"


def test_same_number_on_two_columns_of_one_record_is_one_match(index):
    index.upsert(
        "contact",
        GUID_A,
        {"telephone1": "09121234567", "mobilephone": "+989121234567"},
        owner_id=None,
        modified_on=at(1),
    )
    match = index.lookup("+989121234567")
    assert match.best.column == "telephone1" and match.also_matched == ()


def _shared(index):
    index.upsert("lead", "lead-new", {"telephone1": "02188881234"}, owner_id=BOB, modified_on=at(9))
    index.upsert("account", "acc-old", {"telephone1": "02188881234"}, owner_id=BOB, modified_on=at(1))
    index.upsert("contact", "con-old", {"telephone1": "02188881234"}, owner_id=BOB, modified_on=at(2))
    index.upsert("contact", "con-new", {"mobilephone": "02188881234"}, owner_id=ALICE, modified_on=at(5))


def test_tie_break_owner_first(index):
    _shared(index)
    match = index.lookup("+982188881234", owner_id=BOB)
    assert [r.record_id for r in (match.best, *match.also_matched)] == [
        "con-old",
        "acc-old",
        "lead-new",
        "con-new",
    ]


def test_tie_break_table_order_then_most_recent(index):
    _shared(index)
    match = index.lookup("+982188881234")
    assert [r.record_id for r in (match.best, *match.also_matched)] == [
        "con-new",
        "con-old",
        "acc-old",
        "lead-new",
    ]
    assert match.is_ambiguous


def test_tie_break_owner_beats_table_order(index):
    _shared(index)
    assert index.lookup("+982188881234", owner_id=ALICE).best.record_id == "con-new"


def test_guid_ids_come_back_as_given_lower_case(index):
    index.upsert("contact", GUID_A.upper(), {"telephone1": "02188881234"}, owner_id=None, modified_on=at(1))
    assert index.lookup("+982188881234").best.record_id == GUID_A
    assert index.remove("contact", GUID_A)


@pytest.mark.parametrize(
    "tables", [(), (IndexedTable("contact", ("telephone1",)), IndexedTable("contact", ("mobilephone",)))]
)
def test_bad_configuration_is_refused(tables):
    with pytest.raises(ValueError):
        NumberIndex(tables, PLAN)


def test_unknown_table_and_naive_time_are_refused(index):
    with pytest.raises(ValueError):
        index.upsert("incident", GUID_A, {}, owner_id=None, modified_on=at(1))
    with pytest.raises(ValueError):
        index.upsert("contact", GUID_A, {}, owner_id=None, modified_on=datetime(2024, 1, 1))


@given(
    st.lists(
        st.tuples(
            st.sampled_from(["contact", "account", "lead"]),
            st.integers(0, 5),
            st.integers(0, 3),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_index_agrees_with_a_naive_model(operations):
    index = NumberIndex(TABLES, PLAN)
    model: dict[tuple[str, str], str] = {}
    for table, record, number, is_remove in operations:
        record_id = f"r{record}"
        if is_remove:
            index.remove(table, record_id)
            model.pop((table, record_id), None)
        else:
            phone = f"021888800{number:02d}"
            index.upsert(table, record_id, {"telephone1": phone}, owner_id=None, modified_on=at(1))
            model[(table, record_id)] = normalise(phone, PLAN).e164
    for number in range(4):
        e164 = normalise(f"021888800{number:02d}", PLAN).e164
        match = index.lookup(e164)
        found = {(r.table, r.record_id) for r in (match.best, *match.also_matched) if r is not None}
        assert found == {key for key, value in model.items() if value == e164}
    assert index.record_count == len(model)
