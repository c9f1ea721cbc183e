"""Shared set-up for the call-logging integration tests: an emulator with a telephony system,
extensions answered by real users, a contact carrying the fixtures' caller number, and the
bridge's settings reader, number index, outbox and drainer pointed at it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import requests

from bridge.calls.logger import CrmEnvironment
from bridge.crm.settings import CrmSettings
from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox
from cli.calls_cmd import ami_events
from connectors.dataverse import AlternateKey, DataverseClient, StaticToken, bind, odata
from connectors.pbx.transport.backoff import Backoff
from domain.calls.events import CallEvent
from domain.calls.record import CallUpdate
from domain.calls.tracker import CallTracker
from domain.numbers import NumberPlan
from emulator.seed import seed
from emulator.server import EmulatorServer
from services.matching.sync import NumberSync

ENV = "emulator"
SYSTEM_KEY = "tehran-hq"
CALLER = "09121234567"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "ami"
PLAN = NumberPlan(country_code=98, city_code="21")


def make_client(server: EmulatorServer) -> DataverseClient:
    return DataverseClient(
        base_url=server.origin,
        session=requests.Session(),
        token_provider=StaticToken("bridge"),
        timeout=(2.0, 10.0),
        retry=None,
    )


@dataclass
class World:
    client: DataverseClient
    settings: CrmSettings
    numbers: NumberSync
    crm: CrmEnvironment
    outbox: Outbox
    drainer: Drainer
    contact_id: str
    contact_owner: str
    contact_name: str
    users: dict[str, str]  # extension -> systemuser id


def build_world(server: EmulatorServer, tmp_path: Path, **system_columns: object) -> World:
    seed(server.store)
    client = make_client(server)
    users = [u["systemuserid"] for u in client.query("systemusers", select=["systemuserid"], top=4)]
    system_body = {
        "comms_name": "Tehran head office",
        "comms_kind": 103710000,
        "comms_countrycode": "98",
        "comms_citycode": "21",
        "comms_minimumdigits": 5,
        "comms_hiddenextensions": "600, 601",
        **system_columns,
    }
    client.upsert("comms_telephonysystems", AlternateKey({"comms_systemkey": SYSTEM_KEY}), system_body)
    system_id = client.retrieve(
        "comms_telephonysystems", AlternateKey({"comms_systemkey": SYSTEM_KEY}), select=["comms_telephonysystemid"]
    )["comms_telephonysystemid"]
    extensions = {"101": users[1], "102": users[2], "103": users[3]}
    for number, user in extensions.items():
        client.upsert(
            "comms_extensions",
            AlternateKey({"comms_systemkey": SYSTEM_KEY, "comms_number": number}),
            {
                "comms_name": f"Extension {number}",
                **bind("comms_TelephonySystemId", "comms_telephonysystems", system_id),
                **bind("comms_SystemUserId", "systemusers", user),
            },
        )
    contact = next(
        client.query(
            "contacts", select=["contactid", "_ownerid_value", "fullname"], filter=odata.ne("mobilephone", None), top=1
        )
    )
    client.update("contacts", contact["contactid"], {"mobilephone": CALLER})
    settings = CrmSettings(client, ENV, [SYSTEM_KEY], outbox=None)
    settings.refresh_now()
    numbers = NumberSync(client, ENV, PLAN)
    numbers.refresh_now()
    outbox = Outbox(tmp_path / "outbox.db")
    settings.outbox = outbox
    drainer = Drainer(outbox, client, ENV, batch_size=100, backoff=Backoff(0.05, 0.2))
    crm = CrmEnvironment(ENV, settings, numbers)
    return World(
        client,
        settings,
        numbers,
        crm,
        outbox,
        drainer,
        contact["contactid"],
        contact["_ownerid_value"],
        contact["fullname"],
        extensions,
    )


def fixture_events(name: str, dialect: str = "modern") -> list[CallEvent]:
    problems: list = []
    events = ami_events((FIXTURES / dialect / name).read_bytes(), SYSTEM_KEY, dialect, problems)
    assert problems == []
    return events


def fold(events: list[CallEvent]) -> list[CallUpdate]:
    tracker = CallTracker(hidden_extensions={SYSTEM_KEY: ["600", "601"]})
    return [update for update in map(tracker.apply, events) if update is not None]
