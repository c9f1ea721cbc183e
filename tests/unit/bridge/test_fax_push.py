"""The daemon's fax push: [fax] push_key and listen, the /fax/push route, and the worker sending a pushed fax once."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from bridge.config.fax import DEFAULT_FAX_LISTEN, FaxPolling, FaxServerConfig
from bridge.config.loader import load_config
from bridge.config.model import ConfigError
from bridge.fax.push import FaxPushRoutes
from bridge.fax.worker import FaxWorker
from bridge.plugins.fax import build_server
from bridge.sms.http import Request
from connectors.dataverse import DataverseClient, StaticToken
from connectors.errors import UnavailableError
from connectors.fax.myfax import MyFaxSettings
from connectors.settings import Secret
from dataverse_schema.names import Fax
from emulator.server import EmulatorServer, FaultPlan
from services.fax.directory import FaxDirectory
from services.fax.sending import FaxSender, PushResult
from services.fax.tracking import FaxTracker
from tests.unit.functions.test_fax_push import HOSTILE, context
from tests.unit.services.fax.helpers import NOW, FakeFaxServer, new_fax, read_fax, seed_server, sink_of

pytestmark = pytest.mark.timeout(60)
FAX_ID = "6f1c1e02-5a2b-4d5e-9c1a-0000000000aa"
KEY = "CANARY-push-7f3a"

BASE = """
[bridge]
outbox = "{outbox}"
[environments.prod]
url = "https://org.crm.dynamics.com"
static_token_env = "TOKEN"
[fax.servers.hq]
kind = "hylafax"
environment = "prod"
host = "fax.example.test"
user = "commsuite"
"""


def load(tmp_path: Path, fax_keys: str):
    path = tmp_path / "bridge.toml"
    text = BASE.format(outbox=tmp_path / "outbox.db").replace("[fax.servers.hq]", fax_keys + "\n[fax.servers.hq]")
    path.write_text(text)
    return load_config(path, environ={"TOKEN": "t", "FAX_PUSH_KEY": KEY})


def test_without_a_push_key_the_daemon_only_polls(tmp_path: Path):
    section = load(tmp_path, "[fax]").fax
    assert section.push_key is None and section.listen == DEFAULT_FAX_LISTEN


def test_a_push_key_from_the_environment_and_a_listen_address(tmp_path: Path):
    section = load(tmp_path, '[fax]\npush_key_env = "FAX_PUSH_KEY"\nlisten = "0.0.0.0:9200"').fax
    assert section.push_key.reveal() == KEY and section.listen == "0.0.0.0:9200"


@pytest.mark.parametrize(
    ("keys", "words"),
    [
        ('[fax]\nlisten = "nowhere"', "fax.listen: expected host:port"),
        ('[fax]\npush_key_env = "UNSET"', "fax.push_key_env: the environment variable UNSET is not set"),
        ('[fax]\npush_kee = "x"', "fax: unknown key(s) push_kee"),
    ],
)
def test_push_settings_mistakes_are_named(tmp_path: Path, keys: str, words: str):
    with pytest.raises(ConfigError) as caught:
        load(tmp_path, keys)
    assert words in str(caught.value) and KEY not in str(caught.value)


class FakeWorker:
    def __init__(self, result: PushResult | Exception):
        self.result, self.asked = result, []

    async def push(self, fax_id: str) -> PushResult:
        self.asked.append(fax_id)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def call(routes: FaxPushRoutes, body: bytes, target: str = f"/fax/push?code={KEY}", **headers: str):
    return asyncio.run(routes(Request("POST", target, headers, body)))


def test_the_key_is_required_as_code_or_header():
    worker = FakeWorker(PushResult.SUBMITTED)
    routes = FaxPushRoutes([worker], push_key=Secret(KEY))
    assert call(routes, context(), "/fax/push").status == 401
    assert call(routes, context(), "/fax/push?code=wrong").status == 401
    assert call(routes, context(), "/api/fax/push", **{"x-functions-key": KEY}).status == 200
    assert call(routes, context(), f"/sms/push?code={KEY}").status == 404
    assert worker.asked == [FAX_ID]


@pytest.mark.parametrize("body", HOSTILE)
def test_a_malformed_body_is_400_and_nothing_is_sent(body: bytes):
    worker = FakeWorker(PushResult.SUBMITTED)
    assert call(FaxPushRoutes([worker], push_key=Secret(KEY)), body).status == 400
    assert worker.asked == []


def test_another_table_is_400():
    worker = FakeWorker(PushResult.SUBMITTED)
    assert call(FaxPushRoutes([worker], push_key=Secret(KEY)), context(entity="comms_sms")).status == 400
    assert worker.asked == []


def test_each_server_is_asked_until_one_has_the_fax():
    branch, hq, spare = FakeWorker(PushResult.NOT_THIS_SERVER), FakeWorker(PushResult.WAITING), FakeWorker(None)
    reply = call(FaxPushRoutes([branch, hq, spare], push_key=Secret(KEY)), context())
    assert json.loads(reply.body) == {"fax": FAX_ID, "result": "waiting"}
    assert branch.asked == hq.asked == [FAX_ID] and spare.asked == []


def test_a_deleted_fax_is_gone_and_a_fax_of_no_server_here_says_so():
    gone = call(FaxPushRoutes([FakeWorker(PushResult.GONE)], push_key=Secret(KEY)), context())
    assert json.loads(gone.body)["result"] == "gone"
    workers = [FakeWorker(PushResult.GONE), FakeWorker(PushResult.NOT_THIS_SERVER)]
    assert json.loads(call(FaxPushRoutes(workers, push_key=Secret(KEY)), context()).body)["result"] == (
        "not this server"
    )


def test_dataverse_unavailable_is_503_so_dataverse_posts_again():
    down = FakeWorker(UnavailableError("503", system="dataverse", operation="retrieve"))
    assert call(FaxPushRoutes([down], push_key=Secret(KEY)), context()).status == 503


@pytest.fixture
def client(tmp_path: Path) -> Iterator[DataverseClient]:
    with EmulatorServer(tmp_path / "dataverse.db", faults=FaultPlan.none(), key_activation_s=0.0) as server:
        yield DataverseClient(
            base_url=server.origin,
            session=requests.Session(),
            token_provider=StaticToken("t"),
            timeout=(2.0, 10.0),
            retry=None,
        )


def test_the_worker_sends_a_pushed_fax_once_and_its_round_does_not_send_it_again(client: DataverseClient):
    seed_server(client)
    fax_id = new_fax(client)
    fake = FakeFaxServer()
    sender = FaxSender(client, fake, "hq", sink_of(client), clock=lambda: NOW)
    config = FaxServerConfig("hq", "hylafax", "prod", None, FaxPolling())
    worker = FaxWorker(config, client, sender, FaxTracker(client, fake, "hq", sink_of(client), clock=lambda: NOW), None)
    routes = FaxPushRoutes([worker], push_key=Secret(KEY))

    async def push_twice_and_a_round():
        first, second = await asyncio.gather(
            routes(Request("POST", f"/fax/push?code={KEY}", {}, context(fax_id))),
            routes(Request("POST", f"/fax/push?code={KEY}", {}, context(fax_id, message="Update"))),
        )
        return first, second, await worker.round("send")

    first, second, report = asyncio.run(push_twice_and_a_round())
    assert sorted(json.loads(r.body)["result"] for r in (first, second)) == ["not pending", "submitted"]
    assert report.submitted == [] and list(fake.jobs) == ["1"]
    assert read_fax(client, fax_id)[Fax.JOBID] == "1"
    assert sender.run_once(FaxDirectory.load(client)).submitted == []


def test_the_bridge_builds_a_myfax_server_with_its_own_http_session():
    settings = MyFaxSettings(base_url="https://api.example.test/", access_token=Secret("t"))
    server = build_server(FaxServerConfig("cloud", "myfax", "prod", settings, FaxPolling()))
    assert server.kind == "myfax"
