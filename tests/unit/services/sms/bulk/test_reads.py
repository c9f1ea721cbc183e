"""A step's records are read by id in chunks, with lookups' target tables annotated (SMS-08, -12)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, urlparse

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, StaticToken
from services.sms.bulk.reads import FETCH_CHUNK, read_by_ids

ORIGIN = "https://org.example.crm.dynamics.com"
ACCOUNTS = re.compile(re.escape(f"{ORIGIN}/api/data/v9.2/accounts") + r"\?.*")


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def client() -> DataverseClient:
    return DataverseClient(base_url=ORIGIN, session=requests.Session(), token_provider=StaticToken("t"), retry=None)


def ids(count: int) -> list[str]:
    return [f"00000000-0000-0000-0000-{n:012d}" for n in range(count)]


def echo(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
    """Every asked-for account but the first, upper-cased as a careless server might send it."""
    asked = re.findall(r"[0-9a-f-]{36}", parse_qs(urlparse(request.url).query)["$filter"][0])
    rows = [{"accountid": i.upper(), "name": f"n{i[-3:]}"} for i in asked if not i.endswith("000")]
    return 200, {"Content-Type": "application/json"}, json.dumps({"value": rows})


def test_ids_are_read_a_chunk_a_request_with_lookup_annotations_and_a_narrow_select(wire, client) -> None:
    wire.add_callback(responses.GET, ACCOUNTS, callback=echo)

    found = read_by_ids(client, "accounts", "accountid", ids(2 * FETCH_CHUNK + 1), {"name", "_primarycontactid_value"})

    assert len(wire.calls) == 3 and len(found) == 2 * FETCH_CHUNK
    assert found[ids(2)[1]]["name"] == "n001"  # keyed by the lower-case id
    query = parse_qs(urlparse(wire.calls[0].request.url).query)
    assert query["$select"] == ["accountid,_primarycontactid_value,name"]
    assert "Microsoft.Dynamics.CRM.lookuplogicalname" in wire.calls[0].request.headers["Prefer"]


def test_no_ids_means_no_request(wire, client) -> None:
    assert read_by_ids(client, "accounts", "accountid", [], {"name"}) == {}
