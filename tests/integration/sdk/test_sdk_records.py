"""Microsoft's SDK record operations, each beside our client's equivalent where we have one."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from PowerPlatform.Dataverse.models.filters import col
from PowerPlatform.Dataverse.models.upsert import UpsertItem

from connectors.dataverse import DataverseClient as OurClient
from emulator.server import EmulatorServer

from .conftest import unique

#: ``records.get`` is deprecated in favour of ``retrieve`` / ``list`` but still public, so it is driven too.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


def _names(records: Any) -> list[str]:
    return [record["name"] for record in records]


@pytest.mark.sdk("records.create")
def test_create_one(client: Any, ours: OurClient) -> None:
    name = unique("create")
    record_id = client.records.create("account", {"name": name, "telephone1": "021-88881234"})
    assert ours.retrieve("accounts", record_id, select=["name", "telephone1"])["telephone1"] == "021-88881234"
    assert client.records.get("account", record_id, select=["name"])["name"] == name


@pytest.mark.sdk("records.create (CreateMultiple)")
def test_create_many(client: Any, ours: OurClient) -> None:
    tag = unique("many")
    ids = client.records.create("account", [{"name": f"{tag}-{i}"} for i in range(3)])
    assert len(set(ids)) == 3
    ours_rows = list(ours.query("accounts", select=["name"], filter=f"startswith(name,'{tag}')"))
    assert sorted(_names(ours_rows)) == [f"{tag}-{i}" for i in range(3)]


@pytest.mark.sdk("records.get (one)")
def test_get_one(client: Any, ours: OurClient) -> None:
    record_id = ours.create("accounts", {"name": unique("get"), "description": "side by side"})
    mine = ours.retrieve("accounts", record_id, select=["name", "description"])
    theirs = client.records.get("account", record_id, select=["name", "description"])
    assert (theirs["name"], theirs["description"]) == (mine["name"], mine["description"])


@pytest.mark.sdk("records.retrieve")
def test_retrieve_missing_is_none(client: Any) -> None:
    record_id = client.records.create("account", {"name": unique("retrieve")})
    assert client.records.retrieve("account", record_id, select=["name"])["accountid"] == record_id
    assert client.records.retrieve("account", "00000000-0000-0000-0000-000000000001") is None


@pytest.mark.sdk("records.get (pages: select/filter/orderby/page_size)")
def test_get_pages(client: Any, ours: OurClient) -> None:
    tag = unique("pages")
    for i in (3, 1, 4, 0, 2):
        ours.create("accounts", {"name": f"{tag}-{i}"})
    pages = list(
        client.records.get(
            "account", select=["name"], filter=f"startswith(name,'{tag}')", orderby=["name desc"], page_size=2
        )
    )
    assert [len(page) for page in pages] == [2, 2, 1]
    theirs = [record["name"] for page in pages for record in page]
    mine = _names(
        ours.query("accounts", select=["name"], filter=f"startswith(name,'{tag}')", orderby=["name desc"], page_size=2)
    )
    assert theirs == mine == [f"{tag}-{i}" for i in (4, 3, 2, 1, 0)]


@pytest.mark.sdk("records.list (top/count)")
def test_list_top_and_count(client: Any, ours: OurClient) -> None:
    tag = unique("list")
    for i in range(4):
        ours.create("accounts", {"name": f"{tag}-{i}"})
    result = client.records.list(
        "account", select=["name"], filter=f"startswith(name,'{tag}')", orderby=["name"], top=3
    )
    mine = _names(ours.query("accounts", select=["name"], filter=f"startswith(name,'{tag}')", orderby=["name"], top=3))
    assert _names(result) == mine == [f"{tag}-{i}" for i in range(3)]
    counted = client.records.list("account", filter=f"startswith(name,'{tag}')", count=True)
    assert len(list(counted)) == ours.count("accounts", f"startswith(name,'{tag}')") == 4


@pytest.mark.sdk("records.list_pages")
def test_list_pages(client: Any) -> None:
    tag = unique("lp")
    client.records.create("account", [{"name": f"{tag}-{i}"} for i in range(5)])
    pages = list(client.records.list_pages("account", filter=f"startswith(name,'{tag}')", page_size=2))
    assert [len(list(page)) for page in pages] == [2, 2, 1]


@pytest.mark.sdk("records.retrieve (expand single-valued)")
def test_expand_lookup(client: Any, ours: OurClient) -> None:
    account = ours.create("accounts", {"name": unique("parent")})
    contact = ours.create(
        "contacts", {"lastname": "Rahimi", "parentcustomerid_account@odata.bind": f"/accounts({account})"}
    )
    expand = ["parentcustomerid_account($select=name)"]
    theirs = client.records.retrieve("contact", contact, select=["lastname"], expand=expand)
    mine = ours.retrieve("contacts", contact, select=["lastname"], expand=expand)
    assert theirs["parentcustomerid_account"]["name"] == mine["parentcustomerid_account"]["name"]


@pytest.mark.sdk("records.update (one)")
def test_update_one(client: Any, ours: OurClient) -> None:
    record_id = ours.create("accounts", {"name": unique("upd")})
    client.records.update("account", record_id, {"telephone1": "0912 123 4567"})
    assert ours.retrieve("accounts", record_id, select=["telephone1"])["telephone1"] == "0912 123 4567"


@pytest.mark.sdk("records.update (broadcast, UpdateMultiple)")
def test_update_broadcast(client: Any, ours: OurClient) -> None:
    ids = client.records.create("account", [{"name": unique("b")} for _ in range(3)])
    client.records.update("account", ids, {"description": "broadcast"})
    assert {ours.retrieve("accounts", i, select=["description"])["description"] for i in ids} == {"broadcast"}


@pytest.mark.sdk("records.update (paired, UpdateMultiple)")
def test_update_paired(client: Any, ours: OurClient) -> None:
    ids = client.records.create("account", [{"name": unique("p")} for _ in range(2)])
    client.records.update("account", ids, [{"description": "first"}, {"description": "second"}])
    assert [ours.retrieve("accounts", i, select=["description"])["description"] for i in ids] == ["first", "second"]


@pytest.mark.sdk("records.delete (one)")
def test_delete_one(client: Any, ours: OurClient) -> None:
    record_id = ours.create("accounts", {"name": unique("del")})
    client.records.delete("account", record_id)
    assert ours.count("accounts", f"accountid eq {record_id}") == 0


@pytest.mark.sdk("records.delete (BulkDelete)")
def test_delete_bulk(client: Any, ours: OurClient) -> None:
    tag = unique("bulkdel")
    ids = client.records.create("account", [{"name": f"{tag}-{i}"} for i in range(3)])
    keep = ours.create("accounts", {"name": f"{tag}-keep"})
    job_id = client.records.delete("account", ids)
    assert uuid.UUID(job_id)
    assert [r["accountid"] for r in ours.query("accounts", filter=f"startswith(name,'{tag}')")] == [keep]


@pytest.mark.sdk("records.delete (many, one by one)")
def test_delete_many_singly(client: Any, ours: OurClient) -> None:
    tag = unique("singly")
    ids = client.records.create("account", [{"name": f"{tag}-{i}"} for i in range(2)])
    assert client.records.delete("account", ids, use_bulk_delete=False) is None
    assert ours.count("accounts", f"startswith(name,'{tag}')") == 0


@pytest.mark.sdk("records.upsert (alternate key)")
def test_upsert_by_alternate_key(client: Any, ours: OurClient, server: EmulatorServer) -> None:
    key = client.tables.create_alternate_key("account", "new_accountnumber_key", ["accountnumber"])
    assert key.status in ("Pending", "Active")
    server.catalog.activate_due_keys()
    _wait_active(client, "account", "new_accountnumber_key")
    number = unique("ACC")
    client.records.upsert("account", [UpsertItem(alternate_key={"accountnumber": number}, record={"name": "first"})])
    client.records.upsert("account", [{"alternate_key": {"accountnumber": number}, "record": {"name": "second"}}])
    rows = list(ours.query("accounts", select=["name"], filter=f"accountnumber eq '{number}'"))
    assert _names(rows) == ["second"]
    client.records.upsert(
        "account",
        [UpsertItem(alternate_key={"accountnumber": f"{number}-{i}"}, record={"name": f"many-{i}"}) for i in range(2)],
    )
    assert ours.count("accounts", f"startswith(accountnumber,'{number}-')") == 2


def _wait_active(client: Any, table: str, name: str) -> None:
    """Keys activate after ``key_activation_s`` (0.2 s here); metadata reads activate due keys."""
    import threading

    done = threading.Event()
    for _ in range(100):
        if any(k.schema_name == name and k.status == "Active" for k in client.tables.get_alternate_keys(table)):
            return
        done.wait(0.05)
    raise AssertionError(f"key {name} never became Active")


@pytest.mark.sdk("query.builder")
def test_query_builder(client: Any, ours: OurClient) -> None:
    tag = unique("qb")
    for i in range(4):
        ours.create("accounts", {"name": f"{tag}-{i}", "donotphone": i % 2 == 0})
    rows = (
        client.query.builder("account")
        .select("name")
        .where(col("name").startswith(tag))
        .where(col("donotphone") == True)  # noqa: E712 - the SDK's query builder overloads ==
        .order_by("name", descending=True)
        .top(5)
        .execute()
    )  # noqa: E712
    assert _names(rows) == [f"{tag}-2", f"{tag}-0"]


@pytest.mark.sdk("query.fetchxml")
def test_fetchxml(client: Any, ours: OurClient) -> None:
    tag = unique("fx")
    account = ours.create("accounts", {"name": f"{tag}-acct"})
    ours.create("contacts", {"lastname": f"{tag}-c", "parentcustomerid_account@odata.bind": f"/accounts({account})"})
    xml = (
        f'<fetch><entity name="account"><attribute name="name"/>'
        f'<filter><condition attribute="name" operator="like" value="{tag}%"/></filter>'
        f'<link-entity name="contact" from="parentcustomerid" to="accountid" alias="c" link-type="inner">'
        f'<attribute name="lastname"/></link-entity></entity></fetch>'
    )
    theirs = list(client.query.fetchxml(xml).execute())
    mine = list(ours.fetch_xml("accounts", xml))
    assert (
        [(r["name"], r["c.lastname"]) for r in theirs]
        == [(r["name"], r["c.lastname"]) for r in mine]
        == [(f"{tag}-acct", f"{tag}-c")]
    )


@pytest.mark.sdk("query.sql")
def test_sql(client: Any, unsupported: Any) -> None:
    with unsupported("sql"):
        client.query.sql("SELECT TOP 2 name FROM account")


@pytest.mark.sdk("query.odata_select / odata_expands / odata_bind")
def test_odata_helpers(client: Any) -> None:
    assert "name" in client.query.odata_select("account")
    navigations = {e["nav_property"].lower() for e in client.query.odata_expands("contact")}
    assert any(n.startswith("parentcustomerid") for n in navigations), navigations
    bind = client.query.odata_bind("contact", "account", "00000000-0000-0000-0000-000000000002")
    assert list(bind.values()) == ["/accounts(00000000-0000-0000-0000-000000000002)"]


def test_retrieve_total_record_count(ours: OurClient) -> None:
    """Not an SDK call in 1.1, but one of the messages Dataverse documents beside it."""
    expected = len(list(ours.query("accounts", select=["accountid"])))
    reply = ours.request(
        "GET", "RetrieveTotalRecordCount(EntityNames=@p1)", params={"@p1": '["account","team"]'}, operation="count"
    ).json()["EntityRecordCountCollection"]
    assert (reply["Keys"], reply["Values"][0]) == (["account", "team"], expected)


@pytest.mark.sdk("query.sql_columns / odata_expand")
def test_sql_columns_and_odata_expand(client: Any, ours: OurClient) -> None:
    columns = client.query.sql_columns("account")
    assert [(c["name"], c["is_pk"], c["is_name"]) for c in columns[:2]] == [
        ("accountid", True, False),
        ("name", False, True),
    ]
    assert "telephone1" in {c["name"] for c in columns}
    assert not any(c["name"].endswith("_base") for c in columns)  # system suffixes are left out by default
    navigation = client.query.odata_expand("contact", "account")
    account = ours.create("accounts", {"name": unique("expand")})
    contact = ours.create("contacts", {"lastname": "Nav", f"{navigation}@odata.bind": f"/accounts({account})"})
    row = client.records.retrieve("contact", contact, select=["lastname"], expand=[navigation])
    assert row[navigation]["accountid"] == account


@pytest.mark.sdk("records.create (a choice given by its label); flush_cache")
def test_choice_label_and_flush_cache(client: Any, ours: OurClient) -> None:
    client.flush_cache("picklist")
    task = client.records.create("task", {"subject": unique("label"), "prioritycode": "High"})
    assert ours.retrieve("tasks", task, select=["prioritycode"])["prioritycode"] == 2
    assert client.flush_cache("picklist") == 1  # the task table's labels, read once from its choice metadata
