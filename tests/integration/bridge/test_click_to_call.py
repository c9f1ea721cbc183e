"""Click-to-call intake against the Dataverse emulator and the AMI emulator over real sockets (CALL-16, -29, -31)."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests

from bridge.click_to_call.dial import action_id_for, spy
from bridge.click_to_call.intake import ClickToCallIntake, ClickToCallSettings
from bridge.click_to_call.queue import request_id_from_message
from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox
from connectors.dataverse import DataverseClient, RecordId, StaticToken
from connectors.pbx.ami import AmiConnector, AmiSettings
from connectors.pbx.base import ConnectionState
from domain.calls.click_to_call import UNCONFIRMED_ERROR, ClickToCallStatus
from domain.calls.system_settings import ExtensionSettings, LineSettings, TelephonySystemSettings
from domain.numbers import NumberPlan
from emulator.ami import AmiServer
from emulator.server import EmulatorServer, FaultPlan
from services.calls.click_to_call import ENTITY_SET

pytestmark = [pytest.mark.integration, pytest.mark.timeout(30)]
ENV = "emulator"


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[EmulatorServer]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        yield server


@pytest.fixture
def client(emulator: EmulatorServer) -> DataverseClient:
    return DataverseClient(
        base_url=emulator.origin,
        session=requests.Session(),
        token_provider=StaticToken("b"),
        timeout=(2.0, 10.0),
        retry=None,
    )


def new_user(client: DataverseClient, name: str) -> str:
    return client.create("systemusers", {"fullname": name, "domainname": f"{name}@example.test"})


def new_request(client: DataverseClient, user: str, number: str) -> str:
    return client.create(
        ENTITY_SET,
        {
            "comms_number": number,
            "comms_status": int(ClickToCallStatus.PENDING),
            "comms_SystemUserId@odata.bind": f"/systemusers({user})",
        },
    )


def system_for(user: str) -> TelephonySystemSettings:
    return TelephonySystemSettings(
        key="pbx1",
        name="Tehran HQ",
        record_id="6a0e1f4e-8d0b-4d4f-9a57-3f1b2c3d4e5f",
        plan=NumberPlan(country_code=98, city_code="21", line_release_prefix="9"),
        extensions={"201": ExtensionSettings("201", user_id=user, name="Sara Karimi")},
        lines={"t1": LineSettings("t1", number="02188881000", is_default=True)},
    )


class Harness:
    """The AMI emulator, one AMI connector and intakes sharing one outbox file."""

    def __init__(self, client: DataverseClient, tmp_path: Path, user: str, **server_options):
        self.client, self.tmp_path, self.user = client, tmp_path, user
        self.server_options = server_options
        self.outbox = Outbox(tmp_path / "outbox.db")

    async def __aenter__(self) -> Harness:
        self.server = await AmiServer(secret="s3cret", speed=20, **self.server_options).start()
        settings = AmiSettings(
            system="pbx1",
            host="127.0.0.1",
            port=self.server.port,
            username="crm",
            secret="s3cret",
            action_timeout_s=1.0,
            backoff_min_s=0.02,
            backoff_max_s=0.1,
        )
        ids = (f"a{n}" for n in itertools.count(1))
        self.connector = AmiConnector(settings, ids=lambda: next(ids), rng=random.Random(3))
        self.task = asyncio.create_task(self.connector.run())
        async with asyncio.timeout(5):
            while self.connector.state is not ConnectionState.CONNECTED:
                await asyncio.sleep(0.01)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.connector.stop()
        await self.task
        await self.server.stop()
        self.outbox.close()

    def intake(
        self, client: object | None = None, system: TelephonySystemSettings | None = None, **settings
    ) -> ClickToCallIntake:
        system = system or system_for(self.user)
        return ClickToCallIntake(
            ClickToCallSettings(environment=ENV, ring_timeout_s=1, **settings),
            client=client or self.client,
            outbox=self.outbox,
            systems=lambda: [system],
            connector_for=lambda key: self.connector if key == "pbx1" else None,
        )

    def row(self, request_id: str) -> dict:
        assert Drainer(self.outbox, self.client, ENV).drain_until_empty(timeout_s=5)
        return self.client.retrieve(ENTITY_SET, RecordId(request_id))


def test_a_pending_request_rings_the_extension_and_ends_connected(client, tmp_path):
    user = new_user(client, "sara")
    request_id = new_request(client, user, "۰۹۱۲ ۱۲۳ ۴۵۶۷")

    async def main() -> dict:
        async with Harness(client, tmp_path, user) as h:
            assert await h.intake().poll_once() == [request_id]
            originate = next(a for a in h.server.actions if a.get("action") == "Originate")
            assert originate["channel"] == "PJSIP/201" and originate["exten"] == "909121234567"
            assert originate["actionid"] == action_id_for(request_id)
            assert originate["context"] == "from-internal" and originate["callerid"] == '"Sara Karimi" <02188881000>'
            assert await h.intake().poll_once() == []  # no longer pending
            assert h.server.count("Originate") == 1
            return h.row(request_id)

    row = asyncio.run(main())
    assert row["comms_status"] == ClickToCallStatus.CONNECTED
    assert row["comms_diallednumber"] == "909121234567" and row["comms_error"] is None
    assert row["comms_completedon"]


def test_the_originate_context_comes_from_the_systems_crm_row(client, tmp_path):
    user = new_user(client, "reza")
    request_id = new_request(client, user, "09121234567")
    system = replace(system_for(user), originate_context="sales-out")  # CALL-40

    async def main() -> None:
        async with Harness(client, tmp_path, user) as h:
            assert await h.intake(system=system).poll_once() == [request_id]
            originate = next(a for a in h.server.actions if a.get("action") == "Originate")
            assert originate["context"] == "sales-out"

    asyncio.run(main())


def test_a_user_without_an_extension_is_told_why_and_nothing_rings(client, tmp_path):
    sara, stranger = new_user(client, "sara"), new_user(client, "stranger")
    request_id = new_request(client, stranger, "09121234567")

    async def main() -> dict:
        async with Harness(client, tmp_path, sara) as h:
            assert await h.intake().poll_once() == [request_id]
            assert await h.intake(fail_unroutable=False).poll_once() == []
            assert h.server.count("Originate") == 0
            return h.row(request_id)

    row = asyncio.run(main())
    assert row["comms_status"] == ClickToCallStatus.FAILED
    assert "no extension on any telephony system" in row["comms_error"]


class StaleReads:
    """A second bridge that read the pending rows before the first one claimed them."""

    def __init__(self, client: DataverseClient, rows: list[dict]):
        self._client, self._rows = client, rows

    def query(self, *args, **kwargs):
        return iter(self._rows)

    def __getattr__(self, name: str):
        return getattr(self._client, name)


def test_a_request_claimed_by_another_bridge_is_not_dialled_twice(client, tmp_path):
    user = new_user(client, "sara")
    request_id = new_request(client, user, "09121234567")
    stale = [client.retrieve(ENTITY_SET, RecordId(request_id))]

    async def main() -> None:
        async with Harness(client, tmp_path, user) as h:
            first, second = h.intake(), h.intake(client=StaleReads(client, stale))
            assert await first.poll_once() == [request_id]
            assert await second.poll_once() == []  # its If-Match on the old etag got a 412
            assert h.server.count("Originate") == 1 and list(second.dialled) == []

    asyncio.run(main())


def test_an_unconfirmed_originate_is_never_sent_again(client, tmp_path):
    user = new_user(client, "sara")
    request_id = new_request(client, user, "09121234567")

    async def main() -> dict:
        async with Harness(client, tmp_path, user, hold_originate=True) as h:
            intake = h.intake()
            polling = asyncio.create_task(intake.poll_once())
            async with asyncio.timeout(5):
                while h.server.count("Originate") == 0:
                    await asyncio.sleep(0.01)
            h.server.drop_connections()  # the link drops with the Originate unanswered
            assert await polling == [request_id]
            async with asyncio.timeout(5):
                while h.connector.state is not ConnectionState.CONNECTED:
                    await asyncio.sleep(0.01)
            assert await intake.poll_once() == []
            assert await intake.handle(request_id) is False
            assert h.server.count("Originate") == 1
            return h.row(request_id)

    row = asyncio.run(main())
    assert row["comms_status"] == ClickToCallStatus.FAILED and row["comms_error"] == UNCONFIRMED_ERROR


class FakeQueue:
    """A Service Bus queue holding the given bodies; records how each message was settled."""

    def __init__(self, bodies: list[bytes]):
        self.waiting = [SimpleNamespace(body=body) for body in bodies]
        self.settled: list[tuple[str, bytes]] = []
        self.closed = False

    async def receive(self) -> list:
        batch, self.waiting = self.waiting, []
        await asyncio.sleep(0.01)
        return batch

    async def complete(self, message) -> None:
        self.settled.append(("complete", message.body))

    async def abandon(self, message) -> None:
        self.settled.append(("abandon", message.body))

    async def dead_letter(self, message, reason: str) -> None:
        self.settled.append(("dead_letter", message.body))

    async def close(self) -> None:
        self.closed = True


def test_queue_messages_name_the_request_and_garbage_is_dead_lettered(client, tmp_path):
    user = new_user(client, "sara")
    request_id = new_request(client, user, "09121234567")
    context = json.dumps(
        {"MessageName": "Create", "PrimaryEntityName": "comms_clicktocall", "PrimaryEntityId": request_id}
    ).encode("utf-8-sig")
    queue = FakeQueue([b"\x00\xffnot json", context])

    async def main() -> dict:
        async with Harness(client, tmp_path, user) as h:
            intake = ClickToCallIntake(
                ClickToCallSettings(environment=ENV, sweep_interval_s=600, ring_timeout_s=1),
                client=client,
                outbox=h.outbox,
                systems=lambda: [system_for(user)],
                connector_for=lambda key: h.connector,
                receiver=queue,
            )
            running = asyncio.create_task(intake.run())
            async with asyncio.timeout(5):
                while len(queue.settled) < 2:
                    await asyncio.sleep(0.01)
            await intake.stop()
            await running
            assert h.server.count("Originate") == 1 and queue.closed
            return h.row(request_id)

    row = asyncio.run(main())
    assert queue.settled == [("dead_letter", b"\x00\xffnot json"), ("complete", context)]
    assert row["comms_status"] == ClickToCallStatus.CONNECTED


def test_supervisor_listen_goes_through_chanspy_and_refusals_say_why(client, tmp_path):
    boss = new_user(client, "boss")

    async def main() -> None:
        async with Harness(client, tmp_path, boss) as h:
            system = system_for(boss)
            system = TelephonySystemSettings(
                key=system.key,
                plan=system.plan,
                extensions={**system.extensions, "101": ExtensionSettings("101", user_id="agent")},
            )
            heard = await spy(
                supervisor_user_id=boss,
                target="101",
                system=system,
                connector=h.connector,
                may_supervise=True,
                whisper=True,
            )
            assert heard.placed and heard.result is not None
            chanspy = next(a for a in h.server.actions if a.get("application") == "ChanSpy")
            assert chanspy["channel"] == "PJSIP/201" and chanspy["data"] == "PJSIP/101-,qEbw"
            refused = await spy(
                supervisor_user_id=boss, target="101", system=system, connector=h.connector, may_supervise=False
            )
            assert not refused.placed and "only supervisors" in refused.reason
            no_link = await spy(
                supervisor_user_id=boss, target="101", system=system, connector=None, may_supervise=True
            )
            assert not no_link.placed and "no working link" in no_link.reason

    asyncio.run(main())


@pytest.mark.parametrize(
    "body, expected",
    [
        (b"6a0e1f4e-8d0b-4d4f-9a57-3f1b2c3d4e5f", "6a0e1f4e-8d0b-4d4f-9a57-3f1b2c3d4e5f"),
        (b'"{6A0E1F4E-8D0B-4D4F-9A57-3F1B2C3D4E5F}"', "6a0e1f4e-8d0b-4d4f-9a57-3f1b2c3d4e5f"),
        (b'{"requestId": "6a0e1f4e-8d0b-4d4f-9a57-3f1b2c3d4e5f"}', "6a0e1f4e-8d0b-4d4f-9a57-3f1b2c3d4e5f"),
    ],
)
def test_request_ids_are_read_from_each_message_shape(body: bytes, expected: str) -> None:
    assert request_id_from_message(body) == expected


@pytest.mark.parametrize(
    "body, words",
    [
        (b"", "no request id"),
        (b"{not json", "not valid JSON"),
        (b'{"PrimaryEntityName": "contact", "PrimaryEntityId": "6a0e1f4e-8d0b-4d4f-9a57-3f1b2c3d4e5f"}', "'contact'"),
        (b'{"PrimaryEntityId": "1; DROP TABLE"}', "no request id"),
        (b"\xff\xfe\x00garbage", "no request id"),
    ],
)
def test_unreadable_messages_are_refused_with_a_reason(body: bytes, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        request_id_from_message(body)
