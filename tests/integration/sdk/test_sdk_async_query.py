"""Microsoft's async client for queries (builder, FetchXML, helpers, SQL) and DataFrames, beside our client."""

from __future__ import annotations

from typing import Any

import pytest
from PowerPlatform.Dataverse.models.filters import col

from connectors.dataverse import DataverseClient as OurClient

from .conftest import unique


def _names(records: Any) -> list[str]:
    return [record["name"] for record in records]


@pytest.mark.sdk("async query.builder (execute, execute_pages)")
def test_query_builder(aio: Any, ours: OurClient) -> None:
    tag = unique("aqb")
    for i in range(5):
        ours.create("accounts", {"name": f"{tag}-{i}", "donotphone": i % 2 == 0})

    async def scenario(client: Any) -> tuple[list[str], list[list[str]]]:
        query = (
            client.query.builder("account")
            .select("name")
            .where(col("name").startswith(tag))
            .where(col("donotphone") == True)  # noqa: E712 - the SDK's query builder overloads ==
            .order_by("name", descending=True)
        )
        rows = await query.top(2).execute()
        paged = client.query.builder("account").select("name").where(col("name").startswith(tag)).order_by("name")
        pages = [_names(page) async for page in paged.page_size(2).execute_pages()]
        return _names(rows), pages

    rows, pages = aio(scenario)
    assert rows == [f"{tag}-4", f"{tag}-2"]
    mine = _names(ours.query("accounts", select=["name"], filter=f"startswith(name,'{tag}')", orderby=["name"]))
    assert [len(page) for page in pages] == [2, 2, 1]
    assert [name for page in pages for name in page] == mine


@pytest.mark.sdk("async query.fetchxml (link-entity; execute_pages)")
def test_fetchxml(aio: Any, ours: OurClient) -> None:
    tag = unique("afx")
    account = ours.create("accounts", {"name": f"{tag}-acct"})
    ours.create("contacts", {"lastname": f"{tag}-c", "parentcustomerid_account@odata.bind": f"/accounts({account})"})
    for i in range(3):
        ours.create("accounts", {"name": f"{tag}-more-{i}"})
    linked = (
        f'<fetch><entity name="account"><attribute name="name"/>'
        f'<filter><condition attribute="name" operator="like" value="{tag}%"/></filter>'
        f'<link-entity name="contact" from="parentcustomerid" to="accountid" alias="c" link-type="inner">'
        f'<attribute name="lastname"/></link-entity></entity></fetch>'
    )
    paged = (
        f'<fetch count="2"><entity name="account"><attribute name="name"/><order attribute="name"/>'
        f'<filter><condition attribute="name" operator="like" value="{tag}-more%"/></filter></entity></fetch>'
    )

    async def scenario(client: Any) -> tuple[Any, list[list[str]]]:
        rows = await client.query.fetchxml(linked).execute()
        pages = [_names(page) async for page in client.query.fetchxml(paged).execute_pages()]
        return rows, pages

    theirs, pages = aio(scenario)
    mine = list(ours.fetch_xml("accounts", linked))
    expected = [(f"{tag}-acct", f"{tag}-c")]
    assert [(r["name"], r["c.lastname"]) for r in theirs] == [(r["name"], r["c.lastname"]) for r in mine] == expected
    assert pages == [[f"{tag}-more-0", f"{tag}-more-1"], [f"{tag}-more-2"]]


@pytest.mark.sdk("async query.odata_expands / sql_columns")
def test_helpers(aio: Any) -> None:
    async def scenario(client: Any) -> tuple[Any, Any]:
        return await client.query.odata_expands("contact"), await client.query.sql_columns("account")

    expands, columns = aio(scenario)
    assert any(e["nav_property"].lower().startswith("parentcustomerid") for e in expands), expands
    assert columns[0]["name"] == "accountid" and columns[0]["is_pk"]
    assert columns[1]["name"] == "name" and columns[1]["is_name"]


@pytest.mark.sdk("async query.sql")
def test_sql(aio: Any, unsupported: Any) -> None:
    async def scenario(client: Any) -> None:
        await client.query.sql("SELECT TOP 2 name FROM account")

    with unsupported("sql"):
        aio(scenario)


@pytest.mark.sdk("async dataframe.create / update / delete")
def test_dataframe(aio: Any, ours: OurClient) -> None:
    import pandas as pd

    name = unique("aframe")
    where = f"startswith(name,'{name}')"

    async def scenario(client: Any) -> None:
        ids = await client.dataframe.create("account", pd.DataFrame([{"name": f"{name}-1"}, {"name": f"{name}-2"}]))
        changes = pd.DataFrame([{"accountid": i, "telephone1": "09121234567"} for i in ids])
        await client.dataframe.update("account", changes, id_column="accountid")
        assert [r["telephone1"] for r in ours.query("accounts", select=["telephone1"], filter=where)] == [
            "09121234567",
            "09121234567",
        ]
        await client.dataframe.delete("account", ids)

    aio(scenario)
    assert ours.count("accounts", where) == 0


@pytest.mark.sdk("async dataframe.sql")
def test_dataframe_sql(aio: Any, unsupported: Any) -> None:
    async def scenario(client: Any) -> None:
        await client.dataframe.sql("SELECT TOP 1 name FROM account")

    with unsupported("sql"):
        aio(scenario)


@pytest.mark.sdk("async records.create (a choice given by its label); flush_cache")
def test_choice_label_and_flush_cache(aio: Any, ours: OurClient) -> None:
    async def scenario(client: Any) -> tuple[str, int]:
        task = await client.records.create("task", {"subject": unique("alabel"), "prioritycode": "Low"})
        return task, await client.flush_cache("picklist")

    task, flushed = aio(scenario)
    assert ours.retrieve("tasks", task, select=["prioritycode"])["prioritycode"] == 0
    assert flushed == 1  # the task table's labels, read once from its choice metadata
