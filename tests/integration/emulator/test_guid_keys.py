"""GUID key values at the wire: bare is a key, quoted is refused as Microsoft.OData.Core refuses it.

OData.Core's key literal parser reads an ``Edm.Guid`` without markup
(OData/odata.net:src/Microsoft.OData.Core/UriParser/Parsers/LiteralParser.cs,
``WithoutMarkup(XmlConvert.ToGuid)``), so ``'<guid>'`` converts to nothing: a named key then
matches no declared or alternate key (``AlternateKeysODataUriResolver`` →
``BadRequest_KeyOrAlternateKeyMismatch``, the message Learn quotes for Dataverse) and a positional
one is a syntax error (``ODataUriResolver.ResolveKeys`` → ``CreateSyntaxError``). Microsoft's
Python SDK writes a ``str`` GUID in an ``alternate_key`` quoted (docs/emulator.md).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from urllib.parse import quote

import pytest
import requests

from dataverse_schema.columns import custom_table, key, lookup, text
from dataverse_schema.model import Column, ColumnType
from emulator.server import EmulatorServer, FaultPlan
from emulator.server.tables import tables_for

pytestmark = pytest.mark.integration

_TABLE = custom_table(
    "comms_GuidKeyed",
    "Guid Keyed",
    "Guid Keyed",
    "A table whose alternate keys are a unique identifier and a lookup.",
    primary_name=text("comms_Name", "Name", length=100),
    columns=(
        Column("comms_someguidkey", "comms_SomeGuidKey", ColumnType.UNIQUEIDENTIFIER, "Some GUID key"),
        lookup("comms_AccountId", "Account", "account"),
    ),
    area="Test",
    keys=(
        key("comms_guidkeyed_someguidkey", "Some GUID key", "comms_someguidkey"),
        key("comms_guidkeyed_account", "Account", "comms_accountid"),
    ),
)
_SET = _TABLE.entity_set_name
_RESOURCE = "Microsoft.Dynamics.CRM.comms_guidkeyed"
_INVALID_KEY = (
    f"The key in the request URI is not valid for resource '{_RESOURCE}'. Ensure that the names and number "
    f"of key properties match the declared or alternate key properties for the resource '{_RESOURCE}'."
)
_ACCOUNT_KEY = (
    "The key in the request URI is not valid for resource 'Microsoft.Dynamics.CRM.account'. Ensure that the names "
    "and number of key properties match the declared or alternate key properties for the resource "
    "'Microsoft.Dynamics.CRM.account'."
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("guidkeys") / "dataverse.db"
    tables = (*tables_for("installed"), _TABLE)
    with EmulatorServer(db, faults=FaultPlan.none(), tables=tables, key_activation_s=0) as running:
        yield running


@pytest.fixture(scope="module")
def records(server: EmulatorServer, http: requests.Session) -> dict[str, str]:
    account = str(uuid.uuid4())
    guid_key = str(uuid.uuid4())
    assert http.post(server.url + "accounts", json={"accountid": account, "name": "Keyed"}).status_code == 204
    body = {
        "comms_name": "one",
        "comms_someguidkey": guid_key,
        "comms_AccountId@odata.bind": f"/accounts({account})",
    }
    assert http.post(server.url + _SET, json=body).status_code == 204, body
    return {"account": account, "guid_key": guid_key}


def _get(server: EmulatorServer, http: requests.Session, path: str, select: str = "comms_name") -> requests.Response:
    return http.get(server.url + path + "?$select=" + select)


@pytest.mark.parametrize(
    "form", ["comms_someguidkey={guid_key}", "comms_someguidkey={GUID_KEY}", "_comms_accountid_value={account}"]
)
def test_a_bare_guid_is_a_key(server: EmulatorServer, http: requests.Session, records: dict, form: str) -> None:
    segment = form.format(**records, GUID_KEY=records["guid_key"].upper())
    response = _get(server, http, f"{_SET}({segment})")
    assert response.status_code == 200, response.text
    assert response.json()["comms_name"] == "one"


@pytest.mark.parametrize(
    "form",
    [
        "comms_someguidkey='{guid_key}'",
        "_comms_accountid_value='{account}'",
        "comms_someguidkey='{guid_key}'',x'",
        "comms_someguidkey=''",
    ],
)
def test_a_quoted_guid_is_not_a_key(server: EmulatorServer, http: requests.Session, records: dict, form: str) -> None:
    response = _get(server, http, f"{_SET}({quote(form.format(**records), safe='=,')})")
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {"code": "0x80060888", "message": _INVALID_KEY}


def test_writes_by_a_quoted_guid_key_are_refused_and_write_nothing(
    server: EmulatorServer, http: requests.Session, records: dict
) -> None:
    """Upsert and delete by the key go through the same parser; the record stays as it was."""
    fresh = str(uuid.uuid4())
    upsert = http.patch(server.url + f"{_SET}(comms_someguidkey='{fresh}')", json={"comms_name": "new"})
    assert (upsert.status_code, upsert.json()["error"]["message"]) == (400, _INVALID_KEY)
    delete = http.delete(server.url + f"{_SET}(comms_someguidkey='{records['guid_key']}')")
    assert (delete.status_code, delete.json()["error"]["message"]) == (400, _INVALID_KEY)
    rows = http.get(server.url + _SET, params={"$select": "comms_name"}).json()["value"]
    assert [row["comms_name"] for row in rows] == ["one"]


def test_the_primary_key_quoted(server: EmulatorServer, http: requests.Session, records: dict) -> None:
    account = records["account"]
    named = _get(server, http, f"accounts(accountid='{account}')", "name")
    assert (named.status_code, named.json()["error"]["message"]) == (400, _ACCOUNT_KEY)
    positional = _get(server, http, f"accounts('{account}')", "name")
    assert (positional.status_code, positional.json()["error"]) == (
        400,
        {"code": "0x80060888", "message": "Bad Request - Error in query syntax."},
    )
    assert _get(server, http, f"accounts(accountid={account})", "name").json()["name"] == "Keyed"


def test_a_quoted_guid_in_a_bind_is_refused(server: EmulatorServer, http: requests.Session, records: dict) -> None:
    body = {"comms_name": "two", "comms_AccountId@odata.bind": f"/accounts(accountid='{records['account']}')"}
    response = http.post(server.url + _SET, json=body)
    assert response.status_code == 400
    assert response.json()["error"]["message"] == _ACCOUNT_KEY


@pytest.mark.parametrize(
    "segment, message",
    [
        ("comms_someguidkey='1'' OR ''1''=''1'", _INVALID_KEY),
        ("comms_someguidkey='" + "a" * 9_000 + "'", "Bad Request - Error in query syntax. The key is longer than"),
    ],
)
def test_hostile_key_values_are_refused_as_text(
    server: EmulatorServer, http: requests.Session, records: dict, segment: str, message: str
) -> None:
    response = _get(server, http, f"{_SET}({quote(segment, safe='=')})")
    assert response.status_code == 400, response.text
    assert response.json()["error"]["message"].startswith(message)
    rows = http.get(server.url + _SET, params={"$select": "comms_name"}).json()["value"]
    assert [row["comms_name"] for row in rows] == ["one"]
