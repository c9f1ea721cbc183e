"""Retrieve, query, paging, $count, $expand, change tracking, installation and thread safety."""

from __future__ import annotations

import dataclasses
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dataverse_schema.model import AlternateKey, Column, ColumnType
from emulator.errors import ODataError
from emulator.odata import QueryOptions, parse_query_options, parse_record_ref
from emulator.store import APP_USER_ID, BUSINESS_UNIT_ID, Store

from .store_tables import account, all_tables, contact, guid

NONE = QueryOptions()


def options(**params) -> QueryOptions:
    return parse_query_options({f"${name}": value for name, value in params.items()})


def all_pages(store, entity_set, query, page_size):
    rows, token, pages = [], None, 0
    while True:
        page = store.query(entity_set, query, page_size=page_size, skiptoken=token)
        rows.extend(page.rows)
        pages += 1
        token = page.next_skiptoken
        if token is None:
            return rows, pages


@pytest.fixture()
def people(store):
    """Twelve contacts; some share names and some have none, so ordering must break ties by id."""
    names = ["b", "a", None, "c", "a", None, "d", "b", "e", "a", "f", None]
    for n, name in enumerate(names):
        store.create("contacts", {"contactid": guid(100 + n), "fullname": name, "numberofchildren": n % 4})
    return names


@pytest.mark.parametrize("orderby", ["fullname", "fullname desc", "numberofchildren desc,fullname", None])
@pytest.mark.parametrize("page_size", [1, 5, 12, 50])
def test_pages_cover_every_row_once_in_order(store, people, orderby, page_size):
    query = options(orderby=orderby) if orderby else NONE
    everything = store.query("contacts", query, page_size=5000, skiptoken=None).rows
    paged, pages = all_pages(store, "contacts", query, page_size)
    assert [r["contactid"] for r in paged] == [r["contactid"] for r in everything]
    assert len(everything) == 12 and pages == -(-12 // page_size)


def test_ordering_matches_dataverse_null_placement(store, people):
    ascending = [
        r["fullname"] for r in store.query("contacts", options(orderby="fullname"), page_size=50, skiptoken=None).rows
    ]
    assert ascending == [None, None, None, "a", "a", "a", "b", "b", "c", "d", "e", "f"]


def test_paging_is_stable_when_rows_arrive_between_pages(store, people):
    query = options(orderby="fullname")
    first = store.query("contacts", query, page_size=4, skiptoken=None)
    store.create("contacts", {"fullname": "0 early"})  # sorts before the cursor: not seen, nothing repeated
    rest, _ = all_pages_from(store, query, first.next_skiptoken)
    ids = [r["contactid"] for r in first.rows + rest]
    assert len(ids) == len(set(ids)) == 12


def all_pages_from(store, query, token):
    rows = []
    while token is not None:
        page = store.query("contacts", query, page_size=4, skiptoken=token)
        rows.extend(page.rows)
        token = page.next_skiptoken
    return rows, None


def test_top_limits_the_whole_result_across_pages(store, people):
    rows, pages = all_pages(store, "contacts", options(top="7", orderby="fullname"), page_size=3)
    assert len(rows) == 7 and pages == 3
    assert store.query("contacts", options(top="0"), page_size=3, skiptoken=None).rows == []


def test_filter_select_and_count(store, people):
    page = store.query(
        "contacts",
        options(filter="fullname eq 'A' or fullname eq null", select="fullname", count="true"),
        page_size=2,
        skiptoken=None,
    )
    assert page.count == 6 and not page.count_limit_exceeded and len(page.rows) == 2
    assert set(page.rows[0]) == {"@odata.etag", "contactid", "fullname"}


def test_count_is_capped_at_5000(store):
    with store.transaction():
        for n in range(5001):
            store.create("accounts", {"name": f"a{n}"})
    page = store.query("accounts", options(count="true", select="name"), page_size=10, skiptoken=None)
    assert (page.count, page.count_limit_exceeded, len(page.rows)) == (5000, True, 10)
    assert len(store.query("accounts", NONE, page_size=99_999, skiptoken=None).rows) == 5000


@pytest.mark.parametrize("token", ["garbage", "", "eyJvIjoxfQ", "%%%", "e30"])
def test_bad_skiptokens_are_400(store, people, token):
    error = pytest.raises(ODataError, store.query, "contacts", NONE, page_size=2, skiptoken=token).value
    assert error.status == 400 and "$skiptoken" in error.message


def test_a_skiptoken_from_another_ordering_is_refused(store, people):
    token = store.query("contacts", options(orderby="fullname"), page_size=2, skiptoken=None).next_skiptoken
    with pytest.raises(ODataError):
        store.query("contacts", options(orderby="fullname desc"), page_size=2, skiptoken=token)


@pytest.mark.parametrize(
    "query, fragment",
    [
        ({"select": "nosuch"}, "Could not find a property named 'nosuch' on type 'Microsoft.Dynamics.CRM.contact'."),
        ({"select": "parentcustomerid"}, "Could not find a property named 'parentcustomerid'"),
        ({"orderby": "nosuch"}, "Could not find a property"),
        ({"filter": "nosuch eq 1"}, "Could not find a property"),
        ({"expand": "nosuch"}, "Could not find a property named 'nosuch'"),
        (
            {"expand": "parentcustomerid_account($select=nosuch)"},
            "Could not find a property named 'nosuch' on type 'Microsoft.Dynamics.CRM.account'.",
        ),
    ],
)
def test_unknown_properties_in_queries_are_400(store, query, fragment):
    error = pytest.raises(ODataError, store.query, "contacts", options(**query), page_size=5, skiptoken=None).value
    assert error.status == 400 and fragment in error.message


def test_expand_single_valued_lookups(store):
    account_id = store.create("accounts", {"name": "Acme", "accountnumber": "K"})
    with_parent = store.create(
        "contacts", {"fullname": "C", "parentcustomerid_account@odata.bind": f"/accounts({account_id})"}
    )
    store.create("contacts", {"fullname": "D"})
    query = options(
        select="fullname",
        expand="parentcustomerid_account($select=name),parentcustomerid_contact,ownerid($select=fullname)",
        orderby="fullname",
    )
    first, second = store.query("contacts", query, page_size=5, skiptoken=None).rows
    assert first["contactid"] == with_parent
    assert first["parentcustomerid_account"] == {
        "@odata.etag": first["parentcustomerid_account"]["@odata.etag"],
        "accountid": account_id,
        "name": "Acme",
    }
    assert first["parentcustomerid_contact"] is None  # the lookup points at an account
    assert second["parentcustomerid_account"] is None
    assert second["ownerid"]["systemuserid"] == APP_USER_ID and "fullname" in second["ownerid"]


def test_retrieve_refuses_collection_options(store):
    record_id = store.create("accounts", {"name": "A"})
    with pytest.raises(ODataError) as caught:
        store.retrieve("accounts", parse_record_ref(record_id), options(filter="name eq 'A'"))
    assert caught.value.status == 400


def test_unknown_entity_set_is_404(store):
    error = pytest.raises(ODataError, store.table_for_set, "nosuches").value
    assert (error.status, error.message) == (404, "Resource not found for the segment 'nosuches'.")
    assert store.table_for_set("contacts").logical_name == "contact"


def test_change_tracking_reports_changes_and_deletions(store):
    first = store.create("accounts", {"name": "A"})
    second = store.create("accounts", {"name": "B"})
    initial = store.changes("accounts", ("name",), None)
    assert [r["name"] for r in initial.rows] == ["A", "B"] and initial.deleted_ids == []
    assert initial.token.endswith("!05/01/2024 12:30:15")
    store.update("accounts", parse_record_ref(first), {"name": "A2"}, must_exist=True)
    store.delete("accounts", parse_record_ref(second))
    store.create("contacts", {"fullname": "other table"})
    delta = store.changes("accounts", ("name",), initial.token)
    assert [r["name"] for r in delta.rows] == ["A2"] and delta.deleted_ids == [second]
    store.upsert("accounts", parse_record_ref(second), {"name": "B again"}, if_match=None, if_none_match=None)
    again = store.changes("accounts", None, delta.token)
    assert [r["accountid"] for r in again.rows] == [second] and again.deleted_ids == []
    quiet = store.changes("accounts", None, again.token)
    assert (quiet.rows, quiet.deleted_ids) == ([], [])


@pytest.mark.parametrize("token", ["abc", "-1!x", "999999!01/01/2024 00:00:00", ""])
def test_bad_delta_tokens_are_400(store, token):
    with pytest.raises(ODataError) as caught:
        store.changes("accounts", None, token)
    assert caught.value.status == 400


def test_change_tracking_must_be_enabled(store):
    with pytest.raises(ODataError):
        store.changes("activityparties", None, None)


def test_install_is_idempotent_extends_and_persists(tmp_path):
    path = tmp_path / "dv.sqlite"
    first = Store(path, [account()])
    record_id = first.create("accounts", {"name": "A"})
    first.install(account())
    wider = dataclasses.replace(
        account(),
        columns=account().columns + (Column("comms_code", "comms_Code", ColumnType.STRING, "Code", max_length=10),),
        keys=account().keys + (AlternateKey("comms_CodeKey", ("comms_code",), "Code"),),
    )
    first.install(wider)
    first.update("accounts", parse_record_ref(record_id), {"comms_code": "X"}, must_exist=True)
    first.close()
    reopened = Store(path, [wider])
    record = reopened.retrieve("accounts", parse_record_ref("comms_code='X'"), NONE)
    assert record["accountid"] == record_id and "versionnumber" in reopened.tables["account"]._by_name
    assert reopened.create("accounts", {"name": "B"}) != record_id
    assert reopened._db.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened.close()


def test_whoami_and_the_app_user_exist(store):
    assert store.whoami()["UserId"] == APP_USER_ID
    user = store.retrieve("systemusers", parse_record_ref(APP_USER_ID), options(expand="businessunitid($select=name)"))
    assert user["businessunitid"]["businessunitid"] == BUSINESS_UNIT_ID


def test_concurrent_writers_and_readers(tmp_path):
    store = Store(tmp_path / "threads.sqlite", all_tables())
    failures: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for n in range(50):
                store.upsert(
                    "accounts",
                    parse_record_ref(f"accountnumber='{worker}-{n}'"),
                    {"name": "x"},
                    if_match=None,
                    if_none_match=None,
                )
                store.query("accounts", options(top="5"), page_size=5, skiptoken=None)
        except BaseException as error:  # collected and asserted below: a thread cannot fail the test itself
            failures.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rows = store.query("accounts", NONE, page_size=5000, skiptoken=None).rows
    assert failures == [] and len(rows) == 200
    assert len({r["versionnumber"] for r in rows}) == 200
    store.close()


def test_contact_table_round_trip_types(store):
    record_id = store.create(
        "contacts",
        {"fullname": "T", "numberofchildren": 3, "donotphone": True, "parentcustomerid_contact@odata.bind": None},
    )
    record = store.retrieve("contacts", parse_record_ref(record_id), NONE)
    assert (record["numberofchildren"], record["donotphone"], record["_parentcustomerid_value"]) == (3, True, None)
    assert contact().logical_name in store.tables


FILTER_PIECES = st.sampled_from(
    [
        "fullname",
        "numberofchildren",
        "_parentcustomerid_value",
        "birthdate",
        "donotphone",
        " eq ",
        " ne ",
        " gt ",
        " and ",
        " or ",
        "not ",
        "(",
        ")",
        "'a'",
        "1",
        "null",
        "true",
        "2024-01-01T00:00:00Z",
        guid(1),
        "contains(fullname,'a')",
        "Microsoft.Dynamics.CRM.In(PropertyName='fullname',PropertyValues=['a','b'])",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(FILTER_PIECES, min_size=1, max_size=12).map("".join))
def test_any_filter_runs_or_is_refused_with_an_odata_error(text):
    store = Store(":memory:", all_tables())
    store.create("contacts", {"fullname": "a", "numberofchildren": 1})
    try:
        query = parse_query_options({"$filter": text})
        store.query("contacts", query, page_size=5, skiptoken=None)
    except ODataError as error:
        assert error.status in (400, 501)
    finally:
        store.close()
