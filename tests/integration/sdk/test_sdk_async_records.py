"""Microsoft's async client (``AsyncDataverseClient``, on aiohttp) for records, beside our client.

aiohttp is a different HTTP stack from the sync client's ``requests``: it keeps connections
alive across calls, asks for ``gzip, deflate``, and writes its own headers, so these tests
hold the emulator to the wire as that stack speaks it.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import pytest
from PowerPlatform.Dataverse.models.upsert import UpsertItem

from connectors.dataverse import DataverseClient as OurClient

from .conftest import unique


def _names(records: Any) -> list[str]:
    return [record["name"] for record in records]


@pytest.mark.sdk("async records.create (one; a list → CreateMultiple)")
def test_create(aio: Any, ours: OurClient) -> None:
    tag = unique("acreate")

    async def scenario(client: Any) -> tuple[str, list[str]]:
        one = await client.records.create("account", {"name": tag, "telephone1": "021-88881234"})
        many = await client.records.create("account", [{"name": f"{tag}-{i}"} for i in range(3)])
        return one, many

    one, many = aio(scenario)
    assert ours.retrieve("accounts", one, select=["telephone1"])["telephone1"] == "021-88881234"
    assert len(set(many)) == 3
    rows = ours.query("accounts", select=["name"], filter=f"startswith(name,'{tag}-')", orderby=["name"])
    assert _names(rows) == [f"{tag}-{i}" for i in range(3)]


@pytest.mark.sdk("async records.retrieve (select, expand; a missing id → None)")
def test_retrieve(aio: Any, ours: OurClient) -> None:
    account = ours.create("accounts", {"name": unique("aparent"), "description": "side by side"})
    contact = ours.create(
        "contacts", {"lastname": "Karimi", "parentcustomerid_account@odata.bind": f"/accounts({account})"}
    )
    expand = ["parentcustomerid_account($select=name)"]

    async def scenario(client: Any) -> tuple[Any, Any, Any]:
        return await asyncio.gather(
            client.records.retrieve("account", account, select=["name", "description"]),
            client.records.retrieve("contact", contact, select=["lastname"], expand=expand),
            client.records.retrieve("account", "00000000-0000-0000-0000-000000000001"),
        )

    theirs, their_contact, missing = aio(scenario)
    mine = ours.retrieve("accounts", account, select=["name", "description"])
    assert (theirs["name"], theirs["description"]) == (mine["name"], mine["description"])
    mine_contact = ours.retrieve("contacts", contact, select=["lastname"], expand=expand)
    assert their_contact["parentcustomerid_account"]["name"] == mine_contact["parentcustomerid_account"]["name"]
    assert missing is None


@pytest.mark.sdk("async records.list (select/filter/orderby/top/count)")
def test_list(aio: Any, ours: OurClient) -> None:
    tag = unique("alist")
    for i in (2, 0, 3, 1):
        ours.create("accounts", {"name": f"{tag}-{i}"})
    where = f"startswith(name,'{tag}')"

    async def scenario(client: Any) -> tuple[Any, Any]:
        top = await client.records.list("account", select=["name"], filter=where, orderby=["name desc"], top=3)
        counted = await client.records.list("account", select=["name"], filter=where, count=True)
        return top, counted

    top, counted = aio(scenario)
    mine = _names(ours.query("accounts", select=["name"], filter=where, orderby=["name desc"], top=3))
    assert _names(top) == mine == [f"{tag}-{i}" for i in (3, 2, 1)]
    assert len(counted) == ours.count("accounts", where) == 4


@pytest.mark.sdk("async records.list_pages (page_size paging)")
def test_list_pages(aio: Any, ours: OurClient) -> None:
    tag = unique("apages")
    where = f"startswith(name,'{tag}')"

    async def scenario(client: Any) -> list[list[str]]:
        await client.records.create("account", [{"name": f"{tag}-{i}"} for i in range(5)])
        pages = client.records.list_pages("account", select=["name"], filter=where, orderby=["name"], page_size=2)
        return [_names(page) async for page in pages]

    pages = aio(scenario)
    assert [len(page) for page in pages] == [2, 2, 1]
    mine = _names(ours.query("accounts", select=["name"], filter=where, orderby=["name"], page_size=2))
    assert [name for page in pages for name in page] == mine


@pytest.mark.sdk("async records.update (one; broadcast and paired → UpdateMultiple)")
def test_update(aio: Any, ours: OurClient) -> None:
    one = ours.create("accounts", {"name": unique("aupd")})
    many = [ours.create("accounts", {"name": unique("aupd")}) for _ in range(2)]

    async def scenario(client: Any) -> None:
        await client.records.update("account", one, {"telephone1": "0912 123 4567"})
        await client.records.update("account", many, {"telephone1": "broadcast"})
        await client.records.update("account", many, [{"description": "first"}, {"description": "second"}])

    aio(scenario)
    assert ours.retrieve("accounts", one, select=["telephone1"])["telephone1"] == "0912 123 4567"
    rows = [ours.retrieve("accounts", i, select=["telephone1", "description"]) for i in many]
    assert [(r["telephone1"], r["description"]) for r in rows] == [("broadcast", "first"), ("broadcast", "second")]


@pytest.mark.sdk("async records.delete (one; many one by one; many → BulkDelete)")
def test_delete(aio: Any, ours: OurClient) -> None:
    tag = unique("adel")
    one = ours.create("accounts", {"name": f"{tag}-one"})
    singly = [ours.create("accounts", {"name": f"{tag}-singly"}) for _ in range(2)]
    bulk = [ours.create("accounts", {"name": f"{tag}-bulk"}) for _ in range(2)]
    keep = ours.create("accounts", {"name": f"{tag}-keep"})

    async def scenario(client: Any) -> tuple[Any, Any, Any]:
        return (
            await client.records.delete("account", one),
            await client.records.delete("account", singly, use_bulk_delete=False),
            await client.records.delete("account", bulk),
        )

    deleted_one, deleted_singly, job_id = aio(scenario)
    assert (deleted_one, deleted_singly) == (None, None)
    assert uuid.UUID(job_id)
    assert [r["accountid"] for r in ours.query("accounts", filter=f"startswith(name,'{tag}')")] == [keep]


@pytest.mark.sdk("async records.upsert (alternate key, one and UpsertMultiple)")
def test_upsert(aio: Any, ours: OurClient) -> None:
    table = "new_AsyncUpserted"  # its own table: the account key belongs to test_sdk_records.py

    async def scenario(client: Any) -> None:
        await client.tables.create(table, {"new_Code": "string", "new_Label": "string"})
        await client.tables.create_alternate_key(table, "new_asyncupsertkey", ["new_code"])
        await _read_until_active(client, table, "new_asyncupsertkey")
        key = {"new_code": "U-1"}
        await client.records.upsert("new_asyncupserted", [UpsertItem(alternate_key=key, record={"new_label": "1st"})])
        await client.records.upsert("new_asyncupserted", [{"alternate_key": key, "record": {"new_label": "2nd"}}])
        many = [UpsertItem(alternate_key={"new_code": f"U-{i}"}, record={"new_label": f"m-{i}"}) for i in (2, 3)]
        await client.records.upsert("new_asyncupserted", many)

    aio(scenario)
    rows = ours.query("new_asyncupserteds", select=["new_code", "new_label"], orderby=["new_code"])
    assert [(r["new_code"], r["new_label"]) for r in rows] == [("U-1", "2nd"), ("U-2", "m-2"), ("U-3", "m-3")]


async def _read_until_active(client: Any, table: str, name: str) -> None:
    """A key reported Pending once is installed by the next metadata read (``emulator/server/metadata_keys.py``)."""
    for _ in range(3):
        keys = await client.tables.get_alternate_keys(table)
        if any(k.schema_name == name and k.status == "Active" for k in keys):
            return
    raise AssertionError(f"key {name} never became Active")
