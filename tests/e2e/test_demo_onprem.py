"""``commsuite demo --profile onprem-9.0``: the whole demo against on-premises 9.0, NTLM sign-in, no Azure (issue 14).

The demo runs in-process; afterwards the emulator is started again on the demo's
database, as the same profile, and the records are read back over NTLM.
"""

from __future__ import annotations

import io
import tomllib
from collections.abc import Iterator
from contextlib import redirect_stdout
from pathlib import Path

import pytest
import requests

from cli.demo_signin import DemoSignIn
from cli.demo_sms_setup import ACCOUNT_KEY, CASE_TITLE
from cli.main import main
from connectors.dataverse import DataverseClient, odata
from connectors.dataverse.errors import NotFoundError
from dataverse_schema import sms as schema
from emulator.server import EmulatorServer
from services.sms.rows import SmsStatus

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(180)]
SIGN_IN = DemoSignIn.for_profile("onprem-9.0")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    directory = tmp_path_factory.mktemp("onprem") / "demo"
    with redirect_stdout(io.StringIO()) as out:
        assert main(["demo", "--profile", "onprem-9.0", "--dir", str(directory)]) == 0
    yield directory, out.getvalue()


@pytest.fixture(scope="module")
def crm(demo: tuple[Path, str]) -> Iterator[DataverseClient]:
    from services.factory import dataverse_client

    server = EmulatorServer(demo[0] / "dataverse.sqlite", deployment=SIGN_IN.deployment(), key_activation_s=0)
    with server, requests.Session() as session:
        yield dataverse_client(SIGN_IN.settings(server.origin), session=session)


def test_the_summary_says_on_premises_ntlm_and_no_azure(demo: tuple[Path, str]) -> None:
    out = demo[1]
    assert "on-premises 9.0, NTLM sign-in as CONTOSO\\crmservice, no Azure" in out
    assert "429 storm" in out and "skipped: on-premises servers have no service protection limits" in out
    assert "by $batch change sets" in out  # no UpsertMultiple on 9.0 on premises
    assert "the on-premises daemon hosts the SMS services" in out
    assert "Service Bus" not in out.replace("no Service Bus", "")  # nothing pushed through Azure
    assert sorted(p.name for p in (demo[0] / "dist").glob("*.zip")) == [
        "CommSuite_0_1_0_0_target_CRM_9.0.zip",
        "CommSuite_0_1_0_0_target_CRM_9.0_managed.zip",
    ]


def test_both_daemons_signed_in_with_ntlm(demo: tuple[Path, str]) -> None:
    for config in (demo[0] / "telephony" / "bridge.toml", demo[0] / "sms-daemon" / "bridge.toml"):
        environment = tomllib.loads(config.read_text(encoding="utf-8"))["environments"]["demo"]
        assert (environment["auth"], environment["username"]) == ("ntlm", "CONTOSO\\crmservice")
        assert "static_token_env" not in environment and "Emulat0r" not in config.read_text(encoding="utf-8")


def test_calls_were_logged_and_the_missed_call_notice_is_a_task(crm: DataverseClient) -> None:
    calls = list(
        crm.query(
            "phonecalls",
            select=["comms_systemkey", "_regardingobjectid_value"],
            filter=odata.in_("comms_systemkey", ["hq-asterisk", "branch-ns500"]),
        )
    )
    assert len(calls) == 9 and all(c["_regardingobjectid_value"] for c in calls)
    tasks = list(crm.query("tasks", select=["subject", "_ownerid_value"]))
    assert len(tasks) == 1 and tasks[0]["_ownerid_value"]
    with pytest.raises(NotFoundError):  # 9.0 on premises has no appnotification table
        crm.count("appnotifications")
    request = next(crm.query("comms_clicktocalls", select=["comms_diallednumber"], top=1))
    assert request["comms_diallednumber"] == "09121234567"


def test_sms_went_through_the_daemon(crm: DataverseClient) -> None:
    single = list(
        crm.query(
            "comms_smses",
            select=["comms_smsstatus"],
            filter=odata.and_(odata.eq("comms_provideraccountkey", ACCOUNT_KEY), odata.eq("subject", "Welcome")),
        )
    )
    assert [row["comms_smsstatus"] for row in single] == [SmsStatus.DELIVERED.value_code]
    bulk = next(crm.query("comms_smsbulks", select=["comms_bulkstate", "comms_sentcount", "comms_skippedcount"]))
    assert (bulk["comms_bulkstate"], bulk["comms_sentcount"], bulk["comms_skippedcount"]) == (
        schema.BULK_STATE.value_of("Completed"),
        3,
        1,
    )
    assert crm.count("incidents", odata.eq("title", CASE_TITLE)) == 1
    incoming = crm.count("comms_smses", odata.eq("comms_direction", schema.DIRECTIONS.value_of("Incoming")))
    assert incoming == 2
