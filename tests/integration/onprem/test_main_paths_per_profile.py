"""The suite's main paths once per on-premises profile, each signed in with NTLM (issue 14, §2).

Call logging and click-to-call: the bridge, with every default plug-in, against the
AMI emulator and an SMDR console, writing to the profile (the demo's telephony step,
whose bridge.toml carries ``auth = "ntlm"``); missed-call notices become tasks there.
SMS: the daemon's SMS part (no Azure) sends a pending SMS found by its poll, takes
the delivery report at its webhook and runs a bulk started at its endpoint.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from cli.demo_signin import DemoSignIn
from cli.demo_telephony import run_telephony
from connectors.dataverse import DataverseClient, bind
from dataverse_schema import sms as schema
from emulator.seed import seed
from emulator.server import EmulatorServer
from services.sms.rows import SmsStatus
from tests.integration.daemon_sms.conftest import PushedProvider
from tests.integration.daemon_sms.world import (
    API_KEY,
    ENVIRON,
    PUSH_KEY,
    DaemonThread,
    configure_crm,
    free_port,
    webhook_urls,
    write_config,
)
from tests.integration.sms_bulk_inbound import seed as sms_seed

from .conftest import ONPREM_PROFILES, onprem_server

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
WAIT_S = 20


TELEPHONY_PROFILES = ONPREM_PROFILES


@pytest.fixture(params=ONPREM_PROFILES)
def profile_name(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def server(profile_name: str, tmp_path: Path) -> Iterator[EmulatorServer]:
    with onprem_server(profile_name, tmp_path) as running:
        yield running


@pytest.fixture
def client(server: EmulatorServer, ntlm_client) -> DataverseClient:
    crm, _ = ntlm_client(server)
    return crm


def ntlm_daemon_config(path: Path, server: EmulatorServer, sms_port: int, *, extra: str = "") -> Path:
    """The daemon_sms tests' SMS-only bridge.toml, its environment signing in with NTLM instead of a token."""
    write_config(path, server.origin, sms_port, extra=extra)
    ntlm = DemoSignIn.for_profile(server.profile.name).environment_toml("crm", server.origin)
    text = path.read_text(encoding="utf-8")
    start = text.index("[environments.crm]")
    path.write_text(text[:start] + ntlm + text[text.index("[sms]") :], encoding="utf-8")
    return path


def ntlm_environ(profile_name: str) -> dict[str, str]:
    return {**ENVIRON, **DemoSignIn.for_profile(profile_name).environ()}


@pytest.mark.parametrize("profile_name", TELEPHONY_PROFILES, indirect=True)
def test_the_bridge_logs_calls_and_dials_click_to_call(
    server: EmulatorServer, client: DataverseClient, profile_name: str, tmp_path: Path
) -> None:
    seed(server.store)
    lines: list[str] = []
    result = run_telephony(server, client, tmp_path, DemoSignIn.for_profile(profile_name), lines.append)
    assert result.calls == {"inbound answered": 4, "inbound missed": 2, "outbound answered": 3}
    assert list(result.matched.values()) == [9]
    assert (result.notice_kind, result.notifications) == ("task", 1)
    assert result.click_to_call == "connected, dialled 09121234567"
    assert result.recording_status.endswith("attached, 1 note attached")
    assert 'auth = "ntlm"' in (tmp_path / "telephony" / "bridge.toml").read_text(encoding="utf-8")
    assert not server.profile.ignored, server.profile.ignored  # nothing the version does not understand


def test_the_daemon_sends_an_sms_and_runs_a_bulk(
    server: EmulatorServer, client: DataverseClient, profile_name: str, tmp_path: Path, monkeypatch
) -> None:
    sms_port = free_port()
    environ = ntlm_environ(profile_name)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    config = ntlm_daemon_config(tmp_path / "bridge.toml", server, sms_port)
    with (
        PushedProvider(
            api_key=API_KEY, sent_after_s=0.0, delivered_after_s=0.0, push_interval_s=0.02, **webhook_urls(sms_port)
        ) as provider,
        DaemonThread(config, environ) as daemon,
    ):
        account_id = configure_crm(client, provider.base_url)
        contact_id = client.create("contacts", {"firstname": "Sara", "lastname": "K", "mobilephone": "09127654321"})
        sms_id = client.create(
            "comms_smses",
            {
                "subject": "on-premises",
                "comms_message": "سلام {firstname}",
                "comms_phonenumber": "",
                "comms_smsstatus": SmsStatus.PENDING.value_code,
                "comms_sms_activity_parties": [
                    {**bind("partyid_contact", "contacts", contact_id), "participationtypemask": 2}
                ],
            },
        )
        assert daemon.run_job("sms_sweep")
        assert provider.answered.acquire(timeout=WAIT_S)  # the delivery report, taken by the daemon
        status = client.retrieve("comms_smses", sms_id, select=["comms_smsstatus"])["comms_smsstatus"]
        assert status == SmsStatus.DELIVERED.value_code
        list_id = sms_seed.static_list(client, "onprem", sms_seed.contacts(client, "onprem", 5))
        bulk_id = sms_seed.bulk(client, "onprem", account_id=account_id, list_id=list_id, message="Branch closed")
        client.update("comms_smsbulks", bulk_id, {"comms_istransactional": True})
        started = requests.post(
            f"http://127.0.0.1:{sms_port}/sms/bulk/{bulk_id}/start",
            headers={"x-functions-key": PUSH_KEY},
            timeout=WAIT_S,
        )
        assert started.status_code == 202
        assert daemon.run_job("sms_bulk_continue")
    assert Counter(m["receptor"] for m in provider.sent) == Counter(
        ["09127654321", *(f"0912{n:07d}" for n in range(5))]
    )
    bulk = client.retrieve("comms_smsbulks", bulk_id, select=["comms_bulkstate", "comms_sentcount"])
    assert (bulk["comms_bulkstate"], bulk["comms_sentcount"]) == (schema.BULK_STATE.value_of("Completed"), 5)
    assert not server.profile.ignored, server.profile.ignored
