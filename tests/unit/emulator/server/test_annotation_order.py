"""A property's annotations come just before it in a reply (retrieves, queries and FetchXML), as Dataverse
writes them (Learn's samples show ``"statecode@OData.Community.Display.V1.FormattedValue": "Active"`` before
``"statecode": 0``); Microsoft.OData.Core's reader refuses an annotation that follows its property."""

from __future__ import annotations

import json
from urllib.parse import quote

from tests.unit.emulator.server.webapi_harness import Api

ALL = {"Prefer": 'odata.include-annotations="*"'}


def _keys_in_order(body: bytes) -> list[str]:
    return list(json.loads(body, object_pairs_hook=lambda pairs: dict(pairs)).keys())


def _assert_annotations_first(keys: list[str]) -> None:
    for index, key in enumerate(keys):
        at = key.find("@")
        if at > 0 and key[:at] in keys:
            assert keys.index(key[:at]) > index, f"{key} follows its property in {keys}"


def test_a_retrieved_records_annotations_precede_their_properties() -> None:
    api = Api()
    created = api.send("POST", "accounts", json_body={"name": "Contoso"})
    record_id = (created.header("OData-EntityId") or "").rsplit("(", 1)[1].rstrip(")")
    reply = api.send("GET", f"accounts({record_id})?$select=name,statecode,_ownerid_value", headers=ALL)
    keys = _keys_in_order(reply.body)
    assert "statecode@OData.Community.Display.V1.FormattedValue" in keys
    assert "_ownerid_value@Microsoft.Dynamics.CRM.lookuplogicalname" in keys
    _assert_annotations_first(keys)
    assert keys.index("@odata.context") == 0  # the object's own control information stays first


def test_every_row_of_a_query_writes_annotations_first() -> None:
    api = Api()
    for name in ("A", "B"):
        api.send("POST", "accounts", json_body={"name": name})
    reply = api.send("GET", "accounts?$select=name,statecode", headers=ALL)
    rows = json.loads(reply.body, object_pairs_hook=lambda pairs: dict(pairs))["value"]
    assert len(rows) == 2
    for row in rows:
        _assert_annotations_first(list(row))


def test_fetchxml_rows_write_annotations_first() -> None:
    api = Api()
    api.send("POST", "accounts", json_body={"name": "Contoso"})
    fetch = '<fetch><entity name="account"><attribute name="name"/><attribute name="statecode"/>'
    fetch += '<attribute name="ownerid"/></entity></fetch>'
    reply = api.send("GET", "accounts?fetchXml=" + quote(fetch), headers=ALL)
    (row,) = json.loads(reply.body, object_pairs_hook=lambda pairs: dict(pairs))["value"]
    assert "statecode@OData.Community.Display.V1.FormattedValue" in row
    _assert_annotations_first(list(row))
