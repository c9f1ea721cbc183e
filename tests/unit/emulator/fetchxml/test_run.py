"""FetchXML plans run on the store: operators, joins, order, paging and aggregates give exactly the right rows."""

from __future__ import annotations

import datetime as dt

import pytest

import dataverse_schema as registry
from emulator.errors import ODataError
from emulator.fetchxml.execute import Annotations, run
from emulator.store import Store

NOW = dt.datetime(2024, 5, 15, 12, 0, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def store() -> Store:
    store = Store(":memory:", [*registry.standard_tables(), *registry.custom_tables()], clock=lambda: NOW)
    acme = store.create("accounts", {"name": "Acme"})
    store.create("accounts", {"name": "Empty"})
    people = [
        ("Ali", "Rezaei", "2024-05-15T08:00:00Z", True),
        ("Sara", "Ahmadi", "2024-05-14T08:00:00Z", True),
        ("Reza", "Karimi", "2024-04-20T08:00:00Z", False),
        ("Mina", "Rezaei", "2023-12-31T23:00:00Z", False),
        ("Omid", None, None, False),
    ]
    for first, last, created, linked in people:
        body = {"firstname": first, "lastname": last}
        if created:
            body["overriddencreatedon"] = created
        if linked:
            body["parentcustomerid_account@odata.bind"] = f"/accounts({acme})"
        store.create("contacts", body)
    yield store
    store.close()


def rows(store: Store, text: str, table: str = "contact", annotations: str | None = None) -> list[dict]:
    return result(store, text, table, annotations).rows


def result(store: Store, text: str, table: str = "contact", annotations: str | None = None, **kw):
    with store.reading() as (connection, layouts, now):
        return run(text, connection, layouts, now, table=table, annotations=Annotations(annotations), **kw)


def firsts(store: Store, condition: str) -> list[str]:
    found = rows(
        store,
        f"<fetch><entity name='contact'><attribute name='firstname'/><order attribute='firstname'/>"
        f"<filter>{condition}</filter></entity></fetch>",
    )
    return [r["firstname"] for r in found]


@pytest.mark.parametrize(
    "condition, expected",
    [
        ("<condition attribute='lastname' operator='eq' value='rezaei'/>", ["Ali", "Mina"]),
        ("<condition attribute='lastname' operator='ne' value='Rezaei'/>", ["Reza", "Sara"]),
        ("<condition attribute='lastname' operator='null'/>", ["Omid"]),
        ("<condition attribute='lastname' operator='like' value='%ez%'/>", ["Ali", "Mina"]),
        ("<condition attribute='lastname' operator='not-like' value='R%'/>", ["Reza", "Sara"]),
        ("<condition attribute='lastname' operator='begins-with' value='Ka'/>", ["Reza"]),
        (
            "<condition attribute='firstname' operator='in'><value>Ali</value><value>Omid</value></condition>",
            ["Ali", "Omid"],
        ),
        (
            "<condition attribute='firstname' operator='not-in'><value>Ali</value></condition>",
            ["Mina", "Omid", "Reza", "Sara"],
        ),
        ("<condition attribute='createdon' operator='today'/>", ["Ali", "Omid"]),
        ("<condition attribute='createdon' operator='yesterday'/>", ["Sara"]),
        ("<condition attribute='createdon' operator='last-x-days' value='30'/>", ["Ali", "Omid", "Reza", "Sara"]),
        ("<condition attribute='createdon' operator='last-month'/>", ["Reza"]),
        ("<condition attribute='createdon' operator='last-year'/>", ["Mina"]),
        ("<condition attribute='createdon' operator='on' value='2024-04-20'/>", ["Reza"]),
        ("<condition attribute='createdon' operator='on-or-before' value='2024-04-20'/>", ["Mina", "Reza"]),
        (
            "<condition attribute='createdon' operator='between'><value>2024-01-01</value><value>2024-05-01</value>"
            "</condition>",
            ["Reza"],
        ),
        ("<condition attribute='createdby' operator='eq-userid'/>", ["Ali", "Mina", "Omid", "Reza", "Sara"]),
        (
            "<filter type='or'><condition attribute='firstname' operator='eq' value='Ali'/>"
            "<condition attribute='firstname' operator='eq' value='Sara'/></filter>",
            ["Ali", "Sara"],
        ),
    ],
)
def test_condition_operators_select_exactly_their_rows(store: Store, condition: str, expected: list[str]) -> None:
    assert firsts(store, condition) == expected


def test_inner_and_outer_links_with_aliased_columns(store: Store) -> None:
    link = (
        "<link-entity name='account' from='accountid' to='parentcustomerid' link-type='{}' alias='a'>"
        "<attribute name='name'/></link-entity>"
    )
    query = (
        "<fetch><entity name='contact'><attribute name='firstname'/><order attribute='firstname'/>{}</entity></fetch>"
    )
    inner = rows(store, query.format(link.format("inner")))
    assert [(r["firstname"], r["a.name"]) for r in inner] == [("Ali", "Acme"), ("Sara", "Acme")]
    outer = rows(store, query.format(link.format("outer")))
    assert [r.get("a.name") for r in outer] == ["Acme", None, None, None, "Acme"]
    assert "lastname" not in outer[2]  # null values are left out, as in Dataverse


def test_order_by_link_and_descending(store: Store) -> None:
    query = (
        "<fetch><entity name='contact'><attribute name='firstname'/><order attribute='lastname' "
        "descending='true'/><order attribute='firstname'/></entity></fetch>"
    )
    assert [r["firstname"] for r in rows(store, query)] == ["Ali", "Mina", "Reza", "Sara", "Omid"]


def test_pages_follow_count_and_page_with_a_cookie(store: Store) -> None:
    query = "<fetch count='2' page='{}'><entity name='contact'><attribute name='firstname'/></entity></fetch>"
    pages = [result(store, query.format(n)) for n in (1, 2, 3)]
    assert [len(p.rows) for p in pages] == [2, 2, 1]
    assert [p.more_records for p in pages] == [True, True, False]
    assert pages[0].paging_cookie.startswith('<cookie pagenumber="2" pagingcookie="%253Ccookie%2520page%253D%25221')
    ids = {r["contactid"] for p in pages for r in p.rows}
    assert len(ids) == 5


def test_aggregates_group_and_date_group(store: Store) -> None:
    query = (
        "<fetch aggregate='true'><entity name='contact'><attribute name='contactid' aggregate='count' "
        "alias='n'/><attribute name='lastname' aggregate='countcolumn' distinct='true' alias='d'/>"
        "<attribute name='createdon' groupby='true' dategrouping='month' alias='m'/><order alias='m'/>"
        "</entity></fetch>"
    )
    assert rows(store, query, annotations="*") == [
        {"n": 1, "d": 1, "m": 12, "m@OData.Community.Display.V1.FormattedValue": "2023-12"},
        {"n": 1, "d": 1, "m": 4, "m@OData.Community.Display.V1.FormattedValue": "2024-04"},
        {"n": 3, "d": 2, "m": 5, "m@OData.Community.Display.V1.FormattedValue": "2024-05"},
    ]


def test_the_aggregate_limit_is_enforced(store: Store) -> None:
    query = (
        "<fetch aggregate='true' aggregatelimit='3'><entity name='contact'><attribute name='contactid' "
        "aggregate='count' alias='n'/></entity></fetch>"
    )
    with pytest.raises(ODataError) as refused:
        rows(store, query)
    assert refused.value.code == "0x8004E023"


@pytest.mark.parametrize(
    "query, words",
    [
        ("<fetch><entity name='contact'><attribute name='nope'/></entity></fetch>", "Name = 'nope'"),
        ("<fetch aggregate='true'><entity name='contact'><attribute name='firstname'/></entity></fetch>", "alias"),
        (
            "<fetch><entity name='contact'><filter><condition entityname='x' attribute='name' operator='null'/>"
            "</filter></entity></fetch>",
            "alias 'x'",
        ),
        ("<fetch><entity name='contact'><link-entity name='nosuch' from='a' to='b'/></entity></fetch>", "'nosuch'"),
    ],
)
def test_names_are_checked_against_the_tables(store: Store, query: str, words: str) -> None:
    with pytest.raises(ODataError) as refused:
        rows(store, query)
    assert refused.value.status == 400 and words in refused.value.message


def test_formatted_values_of_dates_and_lookups_only_when_asked(store: Store) -> None:
    text = (
        "<fetch><entity name='contact'><attribute name='createdon'/><attribute name='parentcustomerid'/>"
        "<filter><condition attribute='firstname' operator='eq' value='Ali'/></filter></entity></fetch>"
    )
    (plain,) = rows(store, text)
    assert not any(key.endswith("FormattedValue") for key in plain)
    (row,) = rows(store, text, annotations="OData.Community.Display.V1.FormattedValue")
    assert row["createdon@OData.Community.Display.V1.FormattedValue"] == "5/15/2024 8:00 AM"
    assert row["_parentcustomerid_value@OData.Community.Display.V1.FormattedValue"] == "Acme"


def test_formatted_money_as_the_records_route_gives_it() -> None:
    from tests.unit.emulator.store.store_tables import account

    money_store = Store(":memory:", [account()], clock=lambda: NOW)
    money_store.create("accounts", {"name": "Rich", "revenue": 1234.5})
    (row,) = rows(
        money_store,
        "<fetch><entity name='account'><attribute name='revenue'/></entity></fetch>",
        table="account",
        annotations="*",
    )
    assert row["revenue"] == 1234.5
    assert row["revenue@OData.Community.Display.V1.FormattedValue"] == "$1,234.50"
    money_store.close()
