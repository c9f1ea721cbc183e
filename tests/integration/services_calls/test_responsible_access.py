"""CALL-41 against the Dataverse emulator: a logged call is shared (GrantAccess, ReadAccess) with the persons
the matched record's configured lookup columns name, never with its owner, and a replay shares nothing twice."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import requests

from connectors.dataverse import DataverseClient, RecordId, StaticToken
from connectors.errors import ConnectorError
from emulator.server import EmulatorServer, FaultPlan
from services.calls.responsible_access import ResponsibleColumns, share_with_responsible

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
