"""Entity set and primary key of a table a template reaches (SMS-12): the registry's, else the metadata's, once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, NotFoundError, StaticToken
from connectors.dataverse.errors import BadResponseError
from services.sms.shapes import TableDirectory, TableNames

ORIGIN = "https://contoso.crm4.dynamics.com"
METADATA = f"{ORIGIN}/api/data/v9.2/EntityDefinitions(LogicalName='new_visit')"


@pytest.fixture
def wire() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


@pytest.fixture
def directory() -> TableDirectory:
    client = DataverseClient(base_url=ORIGIN, session=requests.Session(), token_provider=StaticToken("t"), retry=None)
    return TableDirectory(client)


def test_a_known_table_is_named_without_a_request(directory: TableDirectory, wire: responses.RequestsMock) -> None:
    assert directory.names("contact") == TableNames("contacts", "contactid")
    assert directory.names("phonecall") == TableNames("phonecalls", "activityid")  # an activity's key


def test_a_customised_table_is_read_from_its_metadata_once(
    directory: TableDirectory, wire: responses.RequestsMock
) -> None:
    """A custom activity's key is activityid, not '<table>id': the metadata's PrimaryIdAttribute says so."""
    wire.get(
        METADATA,
        json={"EntitySetName": "new_visits", "PrimaryIdAttribute": "activityid", "MetadataId": "x"},
        match=[responses.matchers.query_param_matcher({"$select": "EntitySetName,PrimaryIdAttribute"})],
    )
    assert directory.names("new_visit") == TableNames("new_visits", "activityid")
    assert directory.names("new_visit") == TableNames("new_visits", "activityid")
    assert len(wire.calls) == 1


def test_an_unknown_table_raises_the_clients_not_found(directory: TableDirectory, wire: responses.RequestsMock) -> None:
    wire.get(
        METADATA,
        status=404,
        json={"error": {"code": "0x80060888", "message": "Resource not found for the segment 'EntityDefinitions'."}},
    )
    with pytest.raises(NotFoundError):
        directory.names("new_visit")


@pytest.mark.parametrize(
    "reply", [{"EntitySetName": "new_visits"}, {"EntitySetName": 7, "PrimaryIdAttribute": "x"}, ["not", "an object"]]
)
def test_metadata_of_the_wrong_shape_is_a_bad_response(
    directory: TableDirectory, wire: responses.RequestsMock, reply: object
) -> None:
    wire.get(METADATA, json=reply)
    with pytest.raises(BadResponseError):
        directory.names("new_visit")
