"""A pushed fax is sent once, through the etag claim, and never again by a duplicate push or the polling round."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from connectors.dataverse import RecordId
from connectors.errors import UnavailableError
from dataverse_schema.names import Fax, FaxServer
from services.fax import rows
from services.fax.directory import FaxDirectory
from services.fax.hosted import build_fax_push, fax_connection
from services.fax.sending import FaxSender, PushResult
from services.settings import AppSettings, SettingsError
from tests.unit.services.fax.helpers import NOW, FakeFaxServer, new_fax, read_fax, seed_server, sink_of

pytestmark = pytest.mark.timeout(60)


def sender(client, fake, key="hq"):
    return FaxSender(client, fake, key, sink_of(client), clock=lambda: NOW)


def push(client, fake, fax_id, key="hq"):
    return sender(client, fake, key).send_pushed(fax_id, FaxDirectory.load(client, [key]))


def test_a_pushed_fax_is_sent_once_and_neither_a_duplicate_nor_the_round_sends_it_again(client):
    seed_server(client)
    fax_id = new_fax(client)
    fake = FakeFaxServer()
    assert push(client, fake, fax_id) is PushResult.SUBMITTED
    assert read_fax(client, fax_id)[Fax.JOBID] == "1"
    assert push(client, fake, fax_id) is PushResult.NOT_PENDING
    assert sender(client, fake).run_once(FaxDirectory.load(client)).submitted == []
    assert list(fake.jobs) == ["1"]


def test_a_fax_another_host_claimed_is_left_alone(client):
    seed_server(client)
    fax_id = new_fax(client, **{Fax.FAXSTATUS: rows.SENDING, Fax.SERVERKEY: "hq"})
    fake = FakeFaxServer()
    assert push(client, fake, fax_id) is PushResult.NOT_PENDING
    assert fake.calls == []


class ChangesAfterRead:
    """The Dataverse client, but someone else claims the fax between our read and our claim."""

    def __init__(self, client):
        self._client = client

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)

    def retrieve(self, entity_set: str, ref: Any, select: Any = None, expand: Any = None) -> dict[str, Any]:
        record = self._client.retrieve(entity_set, ref, select=select, expand=expand)
        self._client.update(entity_set, ref, {Fax.FAXSTATUS: rows.SENDING, Fax.SERVERKEY: "other"})
        return record


def test_a_claim_lost_between_read_and_claim_sends_nothing(client):
    seed_server(client)
    fax_id = new_fax(client)
    fake = FakeFaxServer()
    racing = FaxSender(ChangesAfterRead(client), fake, "hq", sink_of(client), clock=lambda: NOW)
    assert racing.send_pushed(fax_id, FaxDirectory.load(client, ["hq"])) is PushResult.CLAIMED_ELSEWHERE
    assert fake.jobs == {} and read_fax(client, fax_id)[Fax.SERVERKEY] == "other"


def test_a_push_for_a_deleted_fax_is_gone(client):
    seed_server(client)
    fax_id = new_fax(client)
    client.delete(Fax.SET, RecordId(fax_id))
    fake = FakeFaxServer()
    assert push(client, fake, fax_id) is PushResult.GONE
    assert fake.calls == []


def test_a_fax_for_another_server_is_not_sent_here(client):
    seed_server(client, "hq")
    branch = seed_server(client, "branch", default=False)
    fax_id = new_fax(client, **{f"{Fax.FAXSERVERID_NAV}@odata.bind": f"/{FaxServer.SET}({branch})"})
    fake = FakeFaxServer()
    assert push(client, fake, fax_id, "hq") is PushResult.NOT_THIS_SERVER
    assert push(client, fake, fax_id, "branch") is PushResult.SUBMITTED
    assert read_fax(client, fax_id)[Fax.SERVERKEY] == "branch"


def test_a_server_key_without_a_crm_row_sends_nothing(client):
    fax_id = new_fax(client)
    assert push(client, FakeFaxServer(), fax_id) is PushResult.NO_SERVER_ROW


def test_a_push_without_a_fax_number_is_refused_on_the_record(client):
    seed_server(client)
    fax_id = new_fax(client, number="")
    assert push(client, FakeFaxServer(), fax_id) is PushResult.REFUSED
    assert read_fax(client, fax_id)[Fax.FAXSTATUS] == rows.NO_NUMBER


def test_a_lost_submit_reply_waits_and_the_round_records_the_job_without_a_second_submit(client):
    seed_server(client)
    fax_id = new_fax(client)
    fake = FakeFaxServer()
    fake.lose_reply = True
    assert push(client, fake, fax_id) is PushResult.WAITING
    assert push(client, fake, fax_id) is PushResult.NOT_PENDING
    report = sender(client, fake).run_once(FaxDirectory.load(client))
    assert report.reconciled == [fax_id] and list(fake.jobs) == ["1"]
    assert read_fax(client, fax_id)[Fax.JOBID] == "1"


def test_another_hosts_fresh_claim_is_left_to_it_and_taken_over_once_its_lease_passed(client):
    """The push host claimed the fax and has no job yet (uploading, or its server was down): the daemon's
    round must not submit it beside it; once the claim is older than the lease, the round sends it."""
    seed_server(client)
    fax_id = new_fax(client)
    fake = FakeFaxServer()
    fake.down = True
    assert push(client, fake, fax_id) is PushResult.WAITING
    fake.down = False
    claimed_at = rows.when(read_fax(client, fax_id)[Fax.MODIFIEDON])

    def daemon(after_s: int) -> FaxSender:
        return FaxSender(client, fake, "hq", sink_of(client), clock=lambda: claimed_at + timedelta(seconds=after_s))

    assert daemon(299).run_once(FaxDirectory.load(client)).submitted == []
    assert fake.jobs == {}
    assert daemon(300).run_once(FaxDirectory.load(client)).submitted == [fax_id]
    assert list(fake.jobs) == ["1"]


def test_the_sender_that_claimed_a_fax_retries_it_at_once_when_its_server_returns(client):
    seed_server(client)
    fax_id = new_fax(client)
    fake = FakeFaxServer()
    fake.down = True
    same = sender(client, fake)
    assert same.send_pushed(fax_id, FaxDirectory.load(client, ["hq"])) is PushResult.WAITING
    fake.down = False
    assert same.run_once(FaxDirectory.load(client)).submitted == [fax_id]
    assert list(fake.jobs) == ["1"]


class Unavailable:
    def retrieve(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        raise UnavailableError("503", system="dataverse", operation="retrieve")


def test_dataverse_unavailable_propagates_so_the_message_is_delivered_again(client):
    seed_server(client)
    directory = FaxDirectory.load(client, ["hq"])
    lone = FaxSender(Unavailable(), FakeFaxServer(), "hq", sink_of(client), clock=lambda: NOW)  # type: ignore[arg-type]
    with pytest.raises(UnavailableError):
        lone.send_pushed("6f1c1e02-5a2b-4d5e-9c1a-000000000001", directory)


# The Functions host's fax server, from app settings.

BASE = {"COMMS_DATAVERSE_URL": "https://contoso.crm4.dynamics.com", "COMMS_DATAVERSE_STATIC_TOKEN": "t"}
HYLAFAX = json.dumps({"host": "fax.contoso.local", "user": "commsuite", "password": "CANARY-7f3a"})


def settings(**values: str) -> AppSettings:
    return AppSettings.from_env({**BASE, **values})


def test_no_fax_settings_means_no_fax_push(client):
    assert fax_connection(settings()) is None
    assert build_fax_push(settings(), client, clock=lambda: NOW) is None


def test_the_fax_server_is_read_from_three_settings_and_its_secret_stays_masked():
    connection = fax_connection(
        settings(COMMS_FAX_SERVER_KEY="hq", COMMS_FAX_SERVER_KIND="hylafax", COMMS_FAX_SERVER=HYLAFAX)
    )
    assert connection is not None and (connection.key, connection.kind) == ("hq", "hylafax")
    assert connection.settings.host == "fax.contoso.local" and connection.settings.password.reveal() == "CANARY-7f3a"
    assert "CANARY" not in repr(connection)


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"COMMS_FAX_SERVER_KEY": "hq"}, "COMMS_FAX_SERVER_KIND is required"),
        ({"COMMS_FAX_SERVER_KEY": "hq", "COMMS_FAX_SERVER_KIND": "windows", "COMMS_FAX_SERVER": HYLAFAX},
         "COMMS_FAX_SERVER_KIND must be one of hylafax, myfax"),
        ({"COMMS_FAX_SERVER_KEY": "hq", "COMMS_FAX_SERVER_KIND": "hylafax", "COMMS_FAX_SERVER": "CANARY-7f3a"},
         "COMMS_FAX_SERVER is not JSON"),
        ({"COMMS_FAX_SERVER_KEY": "hq", "COMMS_FAX_SERVER_KIND": "hylafax", "COMMS_FAX_SERVER": '["CANARY-7f3a"]'},
         "not a JSON object"),
        ({"COMMS_FAX_SERVER_KEY": "hq", "COMMS_FAX_SERVER_KIND": "hylafax",
          "COMMS_FAX_SERVER": "[" * 100_000 + '"CANARY-7f3a"' + "]" * 100_000},
         "COMMS_FAX_SERVER is not JSON"),
        ({"COMMS_FAX_SERVER_KEY": "hq", "COMMS_FAX_SERVER_KIND": "hylafax",
          "COMMS_FAX_SERVER": json.dumps({"host": "h", "user": "u", "prot": "CANARY-7f3a"})},
         "COMMS_FAX_SERVER: prot Extra inputs are not permitted"),
    ],
)  # fmt: skip
def test_bad_fax_settings_are_named_and_never_echoed(values: dict[str, str], words: str):
    with pytest.raises(SettingsError) as caught:
        fax_connection(settings(**values))
    assert words in str(caught.value)
    assert "CANARY" not in str(caught.value)


def test_the_hosted_push_writes_outcomes_straight_to_dataverse(client):
    seed_server(client)
    fax_id = new_fax(client)
    fake = FakeFaxServer()
    hosted = build_fax_push(
        settings(COMMS_FAX_SERVER_KEY="hq", COMMS_FAX_SERVER_KIND="hylafax", COMMS_FAX_SERVER=HYLAFAX),
        client,
        clock=lambda: NOW,
        server=fake,
    )
    assert hosted is not None and hosted.server_key == "hq"
    assert hosted.send(fax_id) is PushResult.SUBMITTED
    assert hosted.send(fax_id) is PushResult.NOT_PENDING
    record = read_fax(client, fax_id)
    assert record[Fax.FAXSTATUS] == rows.QUEUED and record[Fax.JOBID] == "1"


@pytest.mark.parametrize(
    ("kind", "connector"),
    [
        ("hylafax", {"host": "fax.contoso.local", "user": "commsuite"}),
        ("myfax", {"base_url": "https://api.example.test/", "access_token": "CANARY-7f3a"}),
    ],
)
def test_each_hosted_kind_builds_its_connector(client, kind: str, connector: dict[str, str]):
    hosted = build_fax_push(
        settings(COMMS_FAX_SERVER_KEY="hq", COMMS_FAX_SERVER_KIND=kind, COMMS_FAX_SERVER=json.dumps(connector)),
        client,
        clock=lambda: NOW,
    )
    assert hosted is not None and hosted.sender.server.kind == kind


@pytest.mark.parametrize(
    ("values", "zone"), [({}, "Asia/Tehran"), ({"COMMS_SMS_TIMEZONE": "Asia/Dubai"}, "Asia/Dubai")]
)
def test_the_hosted_headers_default_zone_is_the_sms_time_zone(client, values: dict[str, str], zone: str):
    hosted = build_fax_push(
        settings(COMMS_FAX_SERVER_KEY="hq", COMMS_FAX_SERVER_KIND="hylafax", COMMS_FAX_SERVER=HYLAFAX, **values),
        client,
        clock=lambda: NOW,
        server=FakeFaxServer(),
    )
    assert hosted is not None and hosted.sender.header_styles.default_zone == ZoneInfo(zone)
