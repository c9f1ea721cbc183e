"""Record-level read access in the emulator (CALL-41): roles with depths, ownership, teams, shares, impersonation.

Roles are seeded from the solution's own roles (``solution/roles.py``) through ``AddPrivilegesRole``, so the
privilege names the solution ships are the ones the emulator enforces.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from emulator.server.profiles import profile
from emulator.server.roles import account_user_id, install_roles
from emulator.store import APP_USER_ID, BUSINESS_UNIT_ID
from solution.roles import RECEIVED_CALLS_VIEWER, ROLES
from solution.schema_components import solution_schema
from solution.security import SecurityRole

from .webapi_harness import Api, payload

FETCH = '<fetch><entity name="phonecall"><attribute name="subject"/><order attribute="subject"/></entity></fetch>'


@pytest.fixture()
def api() -> Api:
    return Api("installed")


def _id(response) -> str:
    assert response.status == 204, response.body
    return response.header("OData-EntityId").rsplit("(", 1)[1].rstrip(")")


def _user(api: Api, name: str, unit: str = BUSINESS_UNIT_ID) -> str:
    body = {"lastname": name, "businessunitid@odata.bind": f"/businessunits({unit})"}
    return _id(api.send("POST", "systemusers", json_body=body))


def _install(api: Api, role: SecurityRole) -> str:
    """The solution's role as an import would leave it: the role row and its privileges by name."""
    role_id = _id(api.send("POST", "roles", json_body={"roleid": role.id, "name": role.name}))
    privileges = [
        {"PrivilegeName": name, "Depth": depth.level} for name, depth in role.privileges(solution_schema()).items()
    ]
    added = api.send(
        "POST", f"roles({role_id})/Microsoft.Dynamics.CRM.AddPrivilegesRole", json_body={"Privileges": privileges}
    )
    assert added.status == 204, added.body
    return role_id


def _give(api: Api, user: str, role_id: str) -> None:
    body = {"@odata.id": f"https://emulator.test/api/data/v9.2/roles({role_id})"}
    assert api.send("POST", f"systemusers({user})/systemuserroles_association/$ref", json_body=body).status == 204


def _call(api: Api, subject: str, owner: str, owner_set: str = "systemusers") -> str:
    body = {"subject": subject, "ownerid@odata.bind": f"/{owner_set}({owner})"}
    return _id(api.send("POST", "phonecalls", json_body=body))


def _share(api: Api, call: str, user: str, action: str = "GrantAccess") -> None:
    principal = {"@odata.type": "Microsoft.Dynamics.CRM.systemuser", "systemuserid": user}
    target = {"@odata.type": "Microsoft.Dynamics.CRM.phonecall", "activityid": call}
    body = (
        {"Target": target, "PrincipalAccess": {"Principal": principal, "AccessMask": "ReadAccess"}}
        if action == "GrantAccess"
        else {"Target": target, "Revokee": principal}
    )
    assert api.send("POST", action, json_body=body).status == 204


def _subjects(api: Api, user: str, query: str = "phonecalls?$select=subject&$orderby=subject") -> list[str]:
    response = api.send("GET", query, headers={"MSCRMCallerID": user})
    assert response.status == 200, response.body
    return [row["subject"] for row in payload(response)["value"]]


@pytest.fixture()
def viewers(api: Api) -> tuple[str, str, str]:
    """Two Received Calls Viewers (``ana``, ``bob``) and ``carl``, whose call is shared with ``ana``."""
    role = _install(api, RECEIVED_CALLS_VIEWER)
    ana, bob, carl = (_user(api, name) for name in ("Ana", "Bob", "Carl"))
    for user in (ana, bob):
        _give(api, user, role)
    _call(api, "a: Ana's own", ana)
    _call(api, "b: Bob's own", bob)
    _share(api, _call(api, "c: Carl's, shared with Ana", carl), ana)
    return ana, bob, carl


def test_every_role_of_the_solution_installs_with_privileges_the_emulator_knows(api: Api) -> None:
    for role in ROLES:
        _install(api, role)


def test_a_viewer_sees_own_and_shared_calls_only(api: Api, viewers: tuple[str, str, str]) -> None:
    ana, bob, _ = viewers
    assert _subjects(api, ana) == ["a: Ana's own", "c: Carl's, shared with Ana"]
    assert _subjects(api, bob) == ["b: Bob's own"]
    count = api.send("GET", "phonecalls/$count", headers={"MSCRMCallerID": ana})
    assert count.body == b"2"
    counted = payload(api.send("GET", "phonecalls?$count=true&$select=subject", headers={"MSCRMCallerID": bob}))
    assert counted["@odata.count"] == 1
    fetched = api.send("GET", f"phonecalls?fetchXml={quote(FETCH)}", headers={"MSCRMCallerID": bob})
    assert [row["subject"] for row in payload(fetched)["value"]] == ["b: Bob's own"]
    # The application user (System Administrator) still reads everything.
    assert len(_subjects(api, APP_USER_ID)) == 3
    assert len(payload(api.send("GET", "phonecalls?$select=subject"))["value"]) == 3


def test_a_record_out_of_reach_is_403_with_dataverses_access_code(api: Api, viewers: tuple[str, str, str]) -> None:
    ana, bob, _ = viewers
    bobs = payload(api.send("GET", "phonecalls?$select=subject&$filter=startswith(subject,'b')"))["value"][0]
    refused = api.send("GET", f"phonecalls({bobs['activityid']})", headers={"MSCRMCallerID": ana})
    assert refused.status == 403
    error = payload(refused)["error"]
    assert error["code"] == "0x80048306"
    assert f"Principal with ID {ana} does not have ReadAccess right(s)" in error["message"]
    single = api.send("GET", f"phonecalls({bobs['activityid']})/subject", headers={"MSCRMCallerID": ana})
    assert single.status == 403
    own = api.send("GET", f"phonecalls({bobs['activityid']})?$select=subject", headers={"MSCRMCallerID": bob})
    assert own.status == 200
    missing = api.send("GET", "phonecalls(00000000-0000-0000-0000-0000000000aa)", headers={"MSCRMCallerID": ana})
    assert missing.status == 404


def test_revoking_a_share_takes_the_call_away(api: Api, viewers: tuple[str, str, str]) -> None:
    ana, _, _ = viewers
    shared = payload(api.send("GET", "phonecalls?$select=subject&$filter=startswith(subject,'c')"))["value"][0]
    _share(api, shared["activityid"], ana, "RevokeAccess")
    assert _subjects(api, ana) == ["a: Ana's own"]
    assert api.send("GET", f"phonecalls({shared['activityid']})", headers={"MSCRMCallerID": ana}).status == 403


def test_no_read_privilege_is_403_privilege_denied(api: Api, viewers: tuple[str, str, str]) -> None:
    ana, _, _ = viewers
    refused = api.send("GET", "contacts", headers={"MSCRMCallerID": ana})
    assert refused.status == 403
    error = payload(refused)["error"]
    assert error["code"] == "0x80040220" and "is missing prvReadContact privilege" in error["message"]
    nobody = _user(api, "No Roles")
    assert api.send("GET", "phonecalls", headers={"MSCRMCallerID": nobody}).status == 403
    fetched = api.send("GET", f"phonecalls?fetchXml={quote(FETCH)}", headers={"MSCRMCallerID": nobody})
    assert fetched.status == 403


def test_team_owned_calls_and_business_unit_depth(api: Api, viewers: tuple[str, str, str]) -> None:
    ana, bob, _ = viewers
    team = _id(
        api.send(
            "POST",
            "teams",
            json_body={"name": "Sales", "businessunitid@odata.bind": f"/businessunits({BUSINESS_UNIT_ID})"},
        )
    )
    body = {"@odata.id": f"https://emulator.test/api/data/v9.2/teams({team})"}
    assert api.send("POST", f"systemusers({bob})/teammembership_association/$ref", json_body=body).status == 204
    _call(api, "d: the Sales team's", team, "teams")
    assert _subjects(api, bob) == ["b: Bob's own", "d: the Sales team's"]
    assert "d: the Sales team's" not in _subjects(api, ana)
    unit_role = _id(api.send("POST", "roles", json_body={"name": "Unit reader"}))
    privileges = {"Privileges": [{"PrivilegeName": "prvReadActivity", "Depth": "Local"}]}
    assert (
        api.send("POST", f"roles({unit_role})/Microsoft.Dynamics.CRM.AddPrivilegesRole", json_body=privileges).status
        == 204
    )
    other_unit = _id(api.send("POST", "businessunits", json_body={"name": "Elsewhere"}))
    outsider = _user(api, "Outsider", other_unit)
    _call(api, "e: elsewhere", outsider)
    dana = _user(api, "Dana")
    _give(api, dana, unit_role)
    assert _subjects(api, dana) == [
        "a: Ana's own",
        "b: Bob's own",
        "c: Carl's, shared with Ana",
        "d: the Sales team's",
    ]


def test_impersonation_headers_are_checked_as_dataverse_does(api: Api, viewers: tuple[str, str, str]) -> None:
    ana, bob, _ = viewers
    unknown = api.send("GET", "phonecalls", headers={"MSCRMCallerID": "11111111-2222-3333-4444-555555555555"})
    assert unknown.status == 404 and payload(unknown)["error"]["code"] == "0x80040217"
    assert api.send("GET", "phonecalls", headers={"MSCRMCallerID": "not-a-guid"}).status == 400
    object_id = "6f3c2a1e-0d4b-4c55-9e61-2b7a8c9d0e1f"
    assert api.send("PATCH", f"systemusers({ana})", json_body={"azureactivedirectoryobjectid": object_id}).status == 204
    assert _subjects(api, ana) == _subjects_by_object_id(api, object_id)
    unknown_object = api.send("GET", "phonecalls", headers={"CallerObjectId": "6f3c2a1e-0d4b-4c55-9e61-000000000000"})
    assert unknown_object.status == 404
    who = payload(api.send("GET", "WhoAmI", headers={"MSCRMCallerID": bob}))
    assert who["UserId"] == bob and who["BusinessUnitId"] == BUSINESS_UNIT_ID


def _subjects_by_object_id(api: Api, object_id: str) -> list[str]:
    response = api.send("GET", "phonecalls?$select=subject&$orderby=subject", headers={"CallerObjectId": object_id})
    return [row["subject"] for row in payload(response)["value"]]


def test_signed_in_accounts_are_their_users_and_need_act_on_behalf_to_impersonate(api: Api) -> None:
    install_roles(api.store, profile("onprem-9.1").accounts)
    install_roles(api.store, profile("onprem-9.1").accounts)  # a restart of the same database
    account = "CONTOSO\\crmservice"
    who = payload(api.send("GET", "WhoAmI", principal=account))
    assert who["UserId"] == account_user_id(account)
    stranger = api.send("GET", "WhoAmI", principal="CONTOSO\\nobody")
    assert stranger.status == 401
    viewer = _user(api, "Viewer")
    _give(api, viewer, _install(api, RECEIVED_CALLS_VIEWER))
    assert api.send("PATCH", f"systemusers({viewer})", json_body={"domainname": "CONTOSO\\viewer"}).status == 204
    refused = api.send("GET", "phonecalls", headers={"MSCRMCallerID": APP_USER_ID}, principal="CONTOSO\\viewer")
    assert refused.status == 403 and "prvActOnBehalfOfAnotherUser" in payload(refused)["error"]["message"]


def test_a_batch_runs_as_its_caller(api: Api, viewers: tuple[str, str, str]) -> None:
    ana, _, _ = viewers
    boundary = "batch_1"
    body = (
        f"--{boundary}\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n\r\n"
        "GET phonecalls?$select=subject HTTP/1.1\r\nAccept: application/json\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()
    response = api.send(
        "POST",
        "$batch",
        body=body,
        headers={"Content-Type": f"multipart/mixed; boundary={boundary}", "MSCRMCallerID": ana},
    )
    assert response.status == 200, response.body
    inner = response.body.decode().split("\r\n\r\n", 2)[2]
    rows = json.loads(inner[inner.index("{") : inner.rindex("}") + 1])["value"]
    assert sorted(row["subject"] for row in rows) == ["a: Ana's own", "c: Carl's, shared with Ana"]


def test_add_privileges_refuses_what_dataverse_does_not_have(api: Api) -> None:
    role = _id(api.send("POST", "roles", json_body={"name": "Bad"}))
    for privilege in ({"PrivilegeName": "prvReadSystemUser", "Depth": "Basic"}, {"PrivilegeName": "prvReadActivity"}):
        response = api.send(
            "POST", f"roles({role})/Microsoft.Dynamics.CRM.AddPrivilegesRole", json_body={"Privileges": [privilege]}
        )
        assert response.status == 400, privilege


def test_a_records_collection_navigation_shows_only_readable_rows(api: Api) -> None:
    role = _id(api.send("POST", "roles", json_body={"name": "Account reader"}))
    privileges = [
        {"PrivilegeName": "prvReadAccount", "Depth": "Global"},
        {"PrivilegeName": "prvReadContact", "Depth": "Basic"},
    ]
    added = api.send(
        "POST", f"roles({role})/Microsoft.Dynamics.CRM.AddPrivilegesRole", json_body={"Privileges": privileges}
    )
    assert added.status == 204
    dana = _user(api, "Dana")
    _give(api, dana, role)
    account = _id(api.send("POST", "accounts", json_body={"name": "Pars Co"}))
    for name, owner in (("Mine", dana), ("Not mine", APP_USER_ID)):
        body = {
            "lastname": name,
            "ownerid@odata.bind": f"/systemusers({owner})",
            "parentcustomerid_account@odata.bind": f"/accounts({account})",
        }
        _id(api.send("POST", "contacts", json_body=body))
    path = f"accounts({account})/contact_customer_accounts?$select=lastname"
    rows = payload(api.send("GET", path, headers={"MSCRMCallerID": dana}))["value"]
    assert [row["lastname"] for row in rows] == ["Mine"]
    assert len(payload(api.send("GET", path))["value"]) == 2


@pytest.mark.parametrize(("depth", "seen"), [("Local", ["parent unit's"]), ("Deep", ["child unit's", "parent unit's"])])
def test_deep_depth_reaches_child_business_units(api: Api, depth: str, seen: list[str]) -> None:
    child = _id(
        api.send(
            "POST",
            "businessunits",
            json_body={"name": "Branch", "parentbusinessunitid@odata.bind": f"/businessunits({BUSINESS_UNIT_ID})"},
        )
    )
    _call(api, "parent unit's", _user(api, "Head office"))
    _call(api, "child unit's", _user(api, "Branch agent", child))
    role = _id(api.send("POST", "roles", json_body={"name": f"{depth} reader"}))
    privileges = {"Privileges": [{"PrivilegeName": "prvReadActivity", "Depth": depth}]}
    assert (
        api.send("POST", f"roles({role})/Microsoft.Dynamics.CRM.AddPrivilegesRole", json_body=privileges).status == 204
    )
    supervisor = _user(api, "Supervisor")
    _give(api, supervisor, role)
    assert _subjects(api, supervisor) == seen
