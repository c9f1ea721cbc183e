"""CALL-41 against the Dataverse emulator: a logged call is shared (GrantAccess, ReadAccess) with the persons
the matched record's configured lookup columns name, never with its owner, and a replay shares nothing twice;
a responsible person holding the Received Calls Viewer role then reads that call and no other (the emulator
enforces read access as Dataverse does)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import Future
from types import SimpleNamespace

import pytest
import requests

from bridge.calls.sharing import ResponsibleSharing
from connectors.dataverse import DataverseClient, RecordId, StaticToken
from connectors.errors import ConnectorError
from emulator.server import EmulatorServer, FaultPlan
from services.calls.responsible_access import ResponsibleColumns, parse_columns, share_with_responsible
from services.calls.telephony_settings import SystemOptions
from solution.roles import RECEIVED_CALLS_VIEWER
from solution.schema_components import solution_schema

pytestmark = pytest.mark.integration


@pytest.fixture
def client(tmp_path) -> Iterator[DataverseClient]:
    emulator = EmulatorServer(tmp_path / "dv.sqlite", faults=FaultPlan.none(), token="t", key_activation_s=0)
    with emulator as server, requests.Session() as session:
        yield DataverseClient(base_url=server.origin, session=session, token_provider=StaticToken("t"), retry=None)


def _shares(client: DataverseClient, call: str) -> dict[str, str]:
    alias = json.dumps({"@odata.id": f"phonecalls({call})"})
    reply = client.request("GET", "RetrieveSharedPrincipalsAndAccess(Target=@t)", params={"@t": alias}).json()
    return {a["Principal"]["systemuserid"]: a["AccessMask"] for a in reply["PrincipalAccesses"]}


def test_the_call_is_shared_with_the_records_responsible_persons(client: DataverseClient) -> None:
    sales, support, agent = (client.create("systemusers", {"lastname": n}) for n in ("Sales", "Support", "Agent"))
    account = client.create("accounts", {"name": "Pars Co", "ownerid@odata.bind": f"/systemusers({sales})"})
    contact = client.create(
        "contacts",
        {
            "lastname": "Rezaei",
            "ownerid@odata.bind": f"/systemusers({support})",
            "parentcustomerid_account@odata.bind": f"/accounts({account})",
        },
    )
    call = client.create("phonecalls", {"subject": "Incoming call", "ownerid@odata.bind": f"/systemusers({agent})"})
    settings = ResponsibleColumns({"contact": ("contacts", ("ownerid",)), "account": ("accounts", ("ownerid",))})

    assert share_with_responsible(client, call, "contact", contact, settings, owner_id=agent) == [support]
    assert share_with_responsible(client, call, "account", account, settings, owner_id=agent) == [sales]
    share_with_responsible(client, call, "contact", contact, settings, owner_id=agent)  # a replay
    assert _shares(client, call) == {support: "ReadAccess", sales: "ReadAccess"}
    # The owner is never shared with; an unconfigured table shares with nobody.
    assert share_with_responsible(client, call, "contact", contact, settings, owner_id=support) == []
    assert share_with_responsible(client, call, "lead", contact, settings) == []
    assert client.retrieve("phonecalls", RecordId(call), ["subject"])["subject"] == "Incoming call"


def test_bad_settings_and_bad_targets_are_refused(client: DataverseClient) -> None:
    with pytest.raises(ValueError):
        ResponsibleColumns({"contact": ("contacts", ("ownerid; drop",))})
    user = client.create("systemusers", {"lastname": "Sales"})
    with pytest.raises(ConnectorError):
        client.request(
            "POST",
            "GrantAccess",
            json={
                "Target": {"@odata.type": "Microsoft.Dynamics.CRM.phonecall", "activityid": user},
                "PrincipalAccess": {
                    "Principal": {"@odata.type": "Microsoft.Dynamics.CRM.systemuser", "systemuserid": user},
                    "AccessMask": "ReadAccess",
                },
            },
        )


def _as(client: DataverseClient, user: str, path: str) -> requests.Response:
    return client.request("GET", path, headers={"MSCRMCallerID": user})


def _install_viewer_role(client: DataverseClient) -> str:
    role = client.create("roles", {"roleid": RECEIVED_CALLS_VIEWER.id, "name": RECEIVED_CALLS_VIEWER.name})
    privileges = RECEIVED_CALLS_VIEWER.privileges(solution_schema())
    client.request(
        "POST",
        f"roles({role})/Microsoft.Dynamics.CRM.AddPrivilegesRole",
        json={"Privileges": [{"PrivilegeName": name, "Depth": depth.level} for name, depth in privileges.items()]},
    )
    return role


def test_the_responsible_person_reads_the_call_the_bridge_shared_and_no_other(client: DataverseClient) -> None:
    role = _install_viewer_role(client)
    support, agent = (client.create("systemusers", {"lastname": n}) for n in ("Support", "Agent"))
    client.request(
        "POST", f"systemusers({support})/systemuserroles_association/$ref", json={"@odata.id": f"roles({role})"}
    )
    contact = client.create("contacts", {"lastname": "Rezaei", "ownerid@odata.bind": f"/systemusers({support})"})
    call = client.create("phonecalls", {"subject": "From Rezaei", "ownerid@odata.bind": f"/systemusers({agent})"})
    client.create("phonecalls", {"subject": "Someone else", "ownerid@odata.bind": f"/systemusers({agent})"})
    assert _as(client, support, "phonecalls?$select=subject").json()["value"] == []
    with pytest.raises(ConnectorError):
        _as(client, support, f"phonecalls({call})")

    # The bridge's path: the call logger hands the durable write to ResponsibleSharing, which grants ReadAccess.
    options = SystemOptions(responsible_columns=parse_columns("contact: ownerid"))
    numbers = SimpleNamespace(entity_sets={"contact": "contacts"})
    crm = SimpleNamespace(name="prod", numbers=numbers, options=lambda _: options)
    matched = SimpleNamespace(ref=SimpleNamespace(table="contact", record_id=contact))
    activity = SimpleNamespace(matched=matched, user_id=agent)
    written: Future[int] = Future()
    written.set_result(1)
    sharing = ResponsibleSharing({"prod": client}, schedule=lambda _delay, job: job())
    sharing.follow(written, crm, SimpleNamespace(key="hq:1.1", system="hq"), activity, call)
    assert sharing.responsible_for("hq:1.1") == {support}

    seen = _as(client, support, "phonecalls?$select=subject").json()["value"]
    assert [row["subject"] for row in seen] == ["From Rezaei"]
    assert _as(client, support, f"phonecalls({call})?$select=subject").json()["subject"] == "From Rezaei"
    assert _as(client, support, "phonecalls/$count").text == "1"
    assert _as(client, agent, "WhoAmI").json()["UserId"] == agent

    revokee = {"@odata.type": "Microsoft.Dynamics.CRM.systemuser", "systemuserid": support}
    client.request(
        "POST",
        "RevokeAccess",
        json={"Target": {"@odata.type": "Microsoft.Dynamics.CRM.phonecall", "activityid": call}, "Revokee": revokee},
    )
    assert _as(client, support, "phonecalls?$select=subject").json()["value"] == []


def test_impersonating_an_unknown_user_is_refused(client: DataverseClient) -> None:
    with pytest.raises(ConnectorError):
        _as(client, "0f0f0f0f-0000-4000-8000-000000000000", "phonecalls")
