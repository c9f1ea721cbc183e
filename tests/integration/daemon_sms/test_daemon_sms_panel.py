"""A described panel end to end through the daemon's ``[sms]`` host (issue 12, §4).

An SMS row in the Dataverse emulator is found by the daemon's sweep job and sent
through the configurable provider with the shipped IPPanel Edge description
(``connectors/sms/panels/ippanel_edge.json``, from https://github.com/ippanelcom/Edge-Document);
the daemon's status job then polls the panel's recipients report until the text is
*Delivered*. The panel's HTTP is mocked with ``responses`` at that documented wire
format; the emulator's traffic passes through. The daemon's clock is injected and
moved ahead, so the poll interval passes without waiting.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import responses
from responses import matchers

import bridge.plugins.sms
from bridge.sms.host import SmsHost
from connectors.dataverse import AlternateKey, DataverseClient, odata
from services.sms.rows import SmsStatus

from .test_daemon_sms import _pending_sms, _status
from .world import CASE_TITLE, ENVIRON, DaemonThread, case_rule, default_account, write_config

pytestmark = pytest.mark.integration

PANEL = Path(__file__).parents[3] / "connectors" / "sms" / "panels" / "ippanel_edge.json"
EDGE = "https://edge.ippanel.com/v1"
TOKEN, TOKEN_SETTING, LINE = "CANARY-edge-daemon-91b2", "COMMS_EDGE_TOKEN", "+983000505"


class Clock:
    """The daemon's time: the wall clock, moved ahead by the test (rows the emulator stamps stay in its past)."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, seconds: float) -> None:
        self.ahead += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def wire(emulator) -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.add_passthru(emulator.origin)
        yield mock


@pytest.fixture
def panel_daemon(tmp_path: Path, emulator, sms_port: int, clock: Clock, monkeypatch) -> Iterator[DaemonThread]:
    environ = {**ENVIRON, TOKEN_SETTING: TOKEN}
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(bridge.plugins.sms, "SmsHost", functools.partial(SmsHost, clock=clock))
    with DaemonThread(write_config(tmp_path / "bridge.toml", emulator.origin, sms_port), environ) as running:
        yield running


def configure_panel(client: DataverseClient) -> str:
    """A default configurable account carrying the Edge description, polled every five minutes, and its line."""
    account_id = default_account(
        client,
        {
            "comms_name": "IPPanel Edge (on-premises)",
            "comms_accountkey": "edge-onprem",
            "comms_providerkind": "configurable",
            "comms_credentialreference": TOKEN_SETTING,
            "comms_settings": json.dumps({"default_sender": LINE}),
            "comms_paneldescription": PANEL.read_text(encoding="utf-8"),
            "comms_pollintervalseconds": 300,
            "comms_maxattempts": 3,
            "comms_retryintervalseconds": 60,
        },
        LINE,
        receives=False,
    )
    return account_id


def edge_reply(code: str, data: object, message: str = "انجام شد") -> dict:
    return {"data": data, "meta": {"status": code == "200-1", "message": message, "message_code": code}}


def recipients(state: str | None) -> dict:
    row = {"recipient": "+989127654321", "message": "سلام Sara", "is_readable": True, "msg_parts": "1"}
    return edge_reply("200-1", [row if state is None else {**row, "message_status": state}])


def test_a_pending_sms_goes_through_the_described_panel_and_the_daemons_poll_marks_it_delivered(
    client: DataverseClient,
    panel_daemon: DaemonThread,
    wire: responses.RequestsMock,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    configure_panel(client)
    contact_id = client.create("contacts", {"firstname": "Sara", "lastname": "Karimi", "mobilephone": "09127654321"})
    sms_id = _pending_sms(client, contact_id, "سلام {firstname}")
    send = wire.post(
        f"{EDGE}/api/send",
        json=edge_reply("200-1", {"message_outbox_ids": [7654321]}),
        match=[
            matchers.header_matcher({"Authorization": TOKEN}),
            matchers.json_params_matcher(
                {
                    "sending_type": "webservice",
                    "from_number": LINE,
                    "message": "سلام Sara",
                    "params": {"recipients": ["+989127654321"]},
                }
            ),
        ],
    )
    asked = [
        matchers.header_matcher({"Authorization": TOKEN}),
        matchers.query_param_matcher({"page": "1", "per_page": "10", "bulk_id": "7654321"}),
    ]
    polls = [wire.get(f"{EDGE}/api/report/recipients", json=recipients(s), match=asked) for s in (None, "1", "2")]

    assert panel_daemon.run_job("sms_sweep")
    assert send.call_count == 1
    assert _status(client, sms_id) == SmsStatus.QUEUED.value_code
    statuses = []
    for _ in range(3):
        clock.advance(301)
        assert panel_daemon.run_job("sms_poll_status")
        statuses.append(_status(client, sms_id))

    assert statuses == [
        SmsStatus.QUEUED.value_code,
        SmsStatus.SENT_TO_OPERATOR.value_code,
        SmsStatus.DELIVERED.value_code,
    ]
    assert [p.call_count for p in polls] == [1, 1, 1]
    clock.advance(301)
    assert panel_daemon.run_job("sms_poll_status")  # delivered is final: the panel is not asked again
    assert panel_daemon.run_job("sms_sweep")
    assert send.call_count == 1 and sum(p.call_count for p in polls) == 3
    row = client.retrieve("comms_smses", sms_id, select=["comms_providermessageid", "comms_deliveredon"])
    assert row["comms_providermessageid"] == "7654321" and row["comms_deliveredon"]
    assert TOKEN not in caplog.text


def test_the_daemons_status_job_says_which_accounts_poll_stopped_and_what_it_could_not_read(
    client: DataverseClient,
    panel_daemon: DaemonThread,
    wire: responses.RequestsMock,
    clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bridge.sms.schedule")
    configure_panel(client)
    contact_id = client.create("contacts", {"firstname": "Sara", "lastname": "Karimi", "mobilephone": "09127654321"})
    sms_id = _pending_sms(client, contact_id, "سلام {firstname}")
    wire.post(f"{EDGE}/api/send", json=edge_reply("200-1", {"message_outbox_ids": [7654321]}))
    assert panel_daemon.run_job("sms_sweep")
    wire.get(f"{EDGE}/api/report/recipients", json=edge_reply("400-1", None, "توکن نامعتبر"))
    clock.advance(301)

    assert panel_daemon.run_job("sms_poll_status")

    assert "sms_poll_status: 0 asked, 0 changed; stopped for edge-onprem" in caplog.text
    wire.replace(responses.GET, f"{EDGE}/api/report/recipients", json={"data": [], "meta": "not an envelope"})
    clock.advance(301)
    assert panel_daemon.run_job("sms_poll_status")
    assert "1 unreadable (0 given up)" in caplog.text
    assert _status(client, sms_id) == SmsStatus.QUEUED.value_code
    assert TOKEN not in caplog.text


def test_a_keyword_text_in_the_panels_inbox_is_stored_by_the_daemons_inbound_job_and_opens_a_case(
    client: DataverseClient, panel_daemon: DaemonThread, wire: responses.RequestsMock
) -> None:
    configure_panel(client)
    client.upsert(
        "comms_smsnumbers", AlternateKey({"comms_number": LINE}), {"comms_canreceive": True}
    )  # the line receives too
    case_rule(client, "daemon-panel")
    client.create("contacts", {"firstname": "Sara", "lastname": "Karimi", "mobilephone": "09127654321"})
    inbox = {
        "messages_inbox_id": 9911,
        "from": "+989127654321",
        "number": LINE,
        "message": "بحرانی فرم‌ها ذخیره نمی‌شوند",
        "type": "normal",
        "time": 1747808125,
        "seen": "0",
    }
    listing = wire.post(
        f"{EDGE}/api/report/messages-inbox",
        json=edge_reply("200-1", [inbox]),
        match=[
            matchers.header_matcher({"Authorization": TOKEN}),
            matchers.json_params_matcher({"page": 1, "per_page": 100}),
        ],
    )

    assert panel_daemon.run_job("sms_inbound_poll")

    assert listing.call_count == 1
    (text,) = client.query(
        "comms_smses",
        select=["comms_message", "comms_providermessageid"],
        filter=odata.eq("comms_provideraccountkey", "edge-onprem"),
    )
    assert (text["comms_message"], text["comms_providermessageid"]) == (inbox["message"], "9911")
    (case,) = client.query("incidents", select=["title", "description"], filter=odata.eq("title", CASE_TITLE))
    assert case["description"] == "فرم‌ها ذخیره نمی‌شوند"
