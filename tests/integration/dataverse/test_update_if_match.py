"""Optimistic concurrency end to end: the client's ``update(if_match=…)`` against the emulator over a socket.

The emulator honours ``If-Match`` on PATCH: the current etag updates, an older one
gets 412 (``0x80060882``, version mismatch), a missing record 404 (reference §1.5).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from connectors.dataverse import (
    DataverseClient,
    NotFoundError,
    PreconditionFailedError,
    RecordId,
    StaticToken,
)
from emulator.server import EmulatorServer, FaultPlan

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("if-match") / "dataverse.sqlite"
    with EmulatorServer(db, faults=FaultPlan.none(), token="if-match", key_activation_s=0) as emulator:
        yield emulator


@pytest.fixture
def client(server: EmulatorServer) -> Iterator[DataverseClient]:
    with requests.Session() as session:
        yield DataverseClient(
            base_url=server.origin, session=session, token_provider=StaticToken("if-match"), retry=None
        )


def test_the_current_etag_updates_and_a_stale_one_is_refused(client: DataverseClient) -> None:
    contact = client.create("contacts", {"lastname": "Ahmadi"})
    first = client.retrieve("contacts", RecordId(contact), ["lastname"])["@odata.etag"]
    client.update("contacts", RecordId(contact), {"lastname": "Karimi"}, if_match=first)
    second = client.retrieve("contacts", RecordId(contact), ["lastname"])
    assert second["lastname"] == "Karimi" and second["@odata.etag"] != first

    with pytest.raises(PreconditionFailedError) as caught:
        client.update("contacts", RecordId(contact), {"lastname": "Rahimi"}, if_match=first)
    assert caught.value.status == 412 and caught.value.code == "0x80060882"
    assert client.retrieve("contacts", RecordId(contact), ["lastname"])["lastname"] == "Karimi"


def test_two_writers_with_the_same_etag_one_wins(client: DataverseClient) -> None:
    contact = client.create("contacts", {"lastname": "Ahmadi"})
    etag = client.retrieve("contacts", RecordId(contact), ["lastname"])["@odata.etag"]
    client.update("contacts", RecordId(contact), {"lastname": "first"}, if_match=etag)
    with pytest.raises(PreconditionFailedError):
        client.update("contacts", RecordId(contact), {"lastname": "second"}, if_match=etag)
    assert client.retrieve("contacts", RecordId(contact), ["lastname"])["lastname"] == "first"


def test_a_conditional_update_never_creates(client: DataverseClient) -> None:
    missing = RecordId("9b7a3c2e-0000-4000-8000-00000000abcd")
    with pytest.raises(NotFoundError):
        client.update("contacts", missing, {"lastname": "ghost"}, if_match='W/"1"')
    with pytest.raises(NotFoundError):
        client.retrieve("contacts", missing)
