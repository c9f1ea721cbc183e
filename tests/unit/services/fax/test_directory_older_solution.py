"""A host updated before the solution: the fax server table without the page-header columns is still read.

Dataverse refuses a ``$select`` naming a column the table lacks with 400 and code 0x80060888
("Could not find a property named '<column>' on type 'Microsoft.Dynamics.CRM.<table>'."); the
fax servers are then read without the header columns, with one warning, rather than no fax
going out until the solution is imported. Against the emulator started without those columns, a pending
fax is still sent.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses

from connectors.dataverse import DataverseClient, StaticToken, ValidationError
from dataverse_schema.names import Fax, FaxServer
from emulator.server import EmulatorServer, FaultPlan
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.sending import FaxSender
from tests.older_solution import older_tables
from tests.unit.services.fax.helpers import NOW, FakeFaxServer, new_fax, read_fax, seed_server, sink_of

ORIGIN = "https://org.example.com"
SERVERS = f"{ORIGIN}/api/data/v9.2/comms_faxservers"
NUMBERS = f"{ORIGIN}/api/data/v9.2/comms_faxnumbers"
SERVER_ID = "0b1c2d3e-0000-4000-8000-000000000001"


def _refused(column: str) -> dict:
    return {
        "error": {
            "code": "0x80060888",
            "message": f"Could not find a property named '{column}' on type 'Microsoft.Dynamics.CRM.comms_faxserver'.",
        }
    }


def _selected(call) -> list[str]:
    return parse_qs(urlsplit(call.request.url).query)["$select"][0].split(",")


@pytest.fixture
def client() -> DataverseClient:
    return DataverseClient(base_url=ORIGIN, session=requests.Session(), token_provider=StaticToken("t"), retry=None)


@pytest.fixture
def older(tmp_path: Path) -> Iterator[DataverseClient]:
    """A client of the emulator whose fax server table has no page-header columns."""
    db = tmp_path / "dataverse.db"
    with EmulatorServer(db, faults=FaultPlan.none(), key_activation_s=0.0, tables=older_tables()) as server:
        yield DataverseClient(
            base_url=server.origin, session=requests.Session(), token_provider=StaticToken("t"), retry=None
        )


def test_servers_are_read_without_the_header_columns_and_it_is_said_once(client, caplog):
    with responses.RequestsMock() as wire:
        wire.get(SERVERS, status=400, json=_refused(FaxServer.HEADERTIMEZONE))
        server = {FaxServer.ID: SERVER_ID, FaxServer.SERVERKEY: "hq", FaxServer.ISDEFAULT: True}
        wire.get(SERVERS, json={"value": [server]})
        wire.get(NUMBERS, json={"value": []})
        wire.get(SERVERS, json={"value": [server]})
        wire.get(NUMBERS, json={"value": []})
        with caplog.at_level(logging.WARNING, logger="connectors.dataverse.optional_columns"):
            loaded = FaxDirectory.load(client)
            FaxDirectory.load(client)  # known now: asked without the columns, not said again
        first, second, third = (_selected(wire.calls[i]) for i in (0, 1, 3))
        asked = len(wire.calls)
    assert FaxServer.HEADERTIMEZONE in first and FaxServer.HEADERTIMEZONE not in second
    assert set(first) - set(second) == {FaxServer.HEADERTIMEZONE, FaxServer.HEADERCALENDAR, FaxServer.HEADERLANGUAGE}
    assert third == second and asked == 5
    entry = loaded.by_key("hq")
    assert entry is not None and entry.header_zone == "" and not entry.header_jalali and not entry.header_persian
    warned = [r.getMessage() for r in caplog.records if FaxServer.TABLE in r.getMessage()]
    assert len(warned) == 1 and "import this version's CommSuite solution" in warned[0], warned
    assert all(column in warned[0] for column in first if column not in second)


def test_any_other_refusal_is_not_hidden(client):
    with responses.RequestsMock() as wire:
        wire.get(SERVERS, status=400, json=_refused("comms_serverkey"))
        with pytest.raises(ValidationError):
            FaxDirectory.load(client)
        assert len(wire.calls) == 1


def test_a_pending_fax_is_sent_by_a_host_newer_than_the_solution(older, caplog):
    seed_server(older, **{FaxServer.PAGEHEADER: "Contoso Ltd"})
    fax_id = new_fax(older)
    fake = FakeFaxServer()
    with caplog.at_level(logging.WARNING, logger="connectors.dataverse.optional_columns"):
        report = FaxSender(older, fake, "hq", sink_of(older), clock=lambda: NOW).run_once(FaxDirectory.load(older))
        FaxDirectory.load(older)
    assert report.submitted == [fax_id] and "submit" in fake.calls
    record = read_fax(older, fax_id)
    assert record[Fax.JOBID] == "1" and record[Fax.FAXSTATUS] == rows.QUEUED
    sent, _ = fake.jobs["1"]
    assert "Contoso Ltd" in sent.header  # the page header, as before its zone, calendar and language columns
    assert len([r for r in caplog.records if FaxServer.TABLE in r.getMessage()]) == 1
