"""Microsoft's SDK ``batch`` and ``dataframe`` operations against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from PowerPlatform.Dataverse.models.filters import col

from connectors.dataverse import DataverseClient as OurClient
from tests.integration.sdk.conftest import unique


@pytest.mark.sdk("batch (records create / update / retrieve / delete, a change set)")
def test_batch(client: Any, ours: OurClient) -> None:
    name = unique("batch")
    batch = client.batch.new()
    batch.records.create("account", {"name": name})
    with batch.changeset() as changeset:
        ref = changeset.records.create("account", {"name": name + "-cs"})
        changeset.records.update("account", ref, {"telephone1": "021-88881234"})
    result = batch.execute()
    assert not result.has_errors, [(r.status_code, r.error_message) for r in result.failed]
    created = list(dict.fromkeys(result.entity_ids))  # the PATCH repeats the change set's record
    assert len(created) == 2
    rows = list(ours.query("accounts", select=["name", "telephone1"], filter=f"startswith(name,'{name}')"))
    assert sorted((r["name"], r.get("telephone1")) for r in rows) == [(name, None), (name + "-cs", "021-88881234")]
    follow = client.batch.new()
    follow.records.retrieve("account", created[0], select=["name"])
    for record_id in created:
        follow.records.delete("account", record_id)
    outcome = follow.execute()
    assert not outcome.has_errors, [(r.status_code, r.error_message) for r in outcome.failed]
    assert outcome.responses[0].data["name"] == name


@pytest.mark.sdk("dataframe.create / update / delete; query.builder to_dataframe")
def test_dataframe(client: Any, ours: OurClient) -> None:
    import pandas as pd

    name = unique("frame")
    frame = pd.DataFrame([{"name": f"{name}-1"}, {"name": f"{name}-2"}])
    ids = client.dataframe.create("account", frame)
    assert len(ids) == 2
    query = client.query.builder("account").select("name").where(col("name").startswith(name)).order_by("name")
    read = query.execute().to_dataframe()
    assert list(read["name"]) == [f"{name}-1", f"{name}-2"]
    changes = pd.DataFrame([{"accountid": i, "telephone1": "09121234567"} for i in ids])
    client.dataframe.update("account", changes, id_column="accountid")
    rows = list(ours.query("accounts", select=["telephone1"], filter=f"startswith(name,'{name}')"))
    assert [r["telephone1"] for r in rows] == ["09121234567", "09121234567"]
    client.dataframe.delete("account", ids)
    assert list(ours.query("accounts", select=["name"], filter=f"startswith(name,'{name}')")) == []
