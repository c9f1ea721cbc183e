"""Query behaviour at the wire as Learn documents it: options never ignored, annotations on request,
counts, page size against $top, conditional GET, collection-valued navigation."""

from __future__ import annotations

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
LOOKUP = "@Microsoft.Dynamics.CRM.lookuplogicalname"


def create(http: requests.Session, url: str, body: dict) -> str:
    response = http.post(url, json=body, timeout=5)
    assert response.status_code == 204, response.text
    return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")


@pytest.fixture(scope="module")
def company(emulator: EmulatorServer, http: requests.Session) -> str:
    account = create(http, emulator.url + "accounts", {"name": "Conformance Ltd", "description": "Tested"})
    for first, last in (("Sara", "Ahmadi"), ("Reza", "Bahrami"), ("Mina", "Ahmadi")):
        create(
            http,
            emulator.url + "contacts",
            {
                "firstname": first,
                "lastname": last,
                "donotphone": True,
                "parentcustomerid_account@odata.bind": f"/accounts({account})",
            },
        )
    return account


@pytest.mark.parametrize(
    "query, status, fragment",
    [
        ("$apply=aggregate($count as n)", 501, "$apply"),
        ("sql=SELECT name FROM account", 501, "sql"),
        ("$search=blue", 501, "$search"),
        ("$selct=name", 400, "'$selct' is not supported"),
        ("$skip=1", 400, "$skip"),
        ("partitionId=x", 501, "partitionId"),
    ],
)
def test_unsupported_options_are_errors_never_ignored(
    emulator: EmulatorServer, http: requests.Session, query: str, status: int, fragment: str
) -> None:
    response = http.get(f"{emulator.url}accounts?{query}", timeout=5)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == "0x80060888" and fragment in response.json()["error"]["message"]


def test_unknown_select_property_has_dataverse_code_and_message(
    emulator: EmulatorServer, http: requests.Session
) -> None:
    error = http.get(emulator.url + "accounts?$select=nosuchcolumn", timeout=5).json()["error"]
    assert error == {
        "code": "0x80060888",
        "message": "Could not find a property named 'nosuchcolumn' on type 'Microsoft.Dynamics.CRM.account'.",
    }


def test_annotations_only_when_asked(emulator: EmulatorServer, http: requests.Session, company: str) -> None:
    url = (
        f"{emulator.url}contacts?$select=fullname,donotphone,_parentcustomerid_value,createdon"
        "&$filter=lastname eq 'Ahmadi'"
    )
    plain = http.get(url, timeout=5)
    assert "Preference-Applied" not in plain.headers
    assert not [k for row in plain.json()["value"] for k in row if "@" in k and not k.startswith("@odata")]
    asked = http.get(url, headers={"Prefer": 'odata.include-annotations="*"'}, timeout=5)
    assert asked.headers["Preference-Applied"] == 'odata.include-annotations="*"'
    row = asked.json()["value"][0]
    assert row["fullname"] in ("Sara Ahmadi", "Mina Ahmadi")
    assert row["donotphone" + FORMATTED] == "Do Not Allow"
    assert row["_parentcustomerid_value" + FORMATTED] == "Conformance Ltd"
    assert row["_parentcustomerid_value" + LOOKUP] == "account"
    assert row["createdon" + FORMATTED].count("/") == 2
    only_formatted = http.get(
        url, headers={"Prefer": 'odata.include-annotations="OData.Community.Display.V1.*"'}, timeout=5
    ).json()["value"][0]
    assert "_parentcustomerid_value" + FORMATTED in only_formatted
    assert "_parentcustomerid_value" + LOOKUP not in only_formatted


def test_several_prefer_headers_are_one_list(emulator: EmulatorServer, company: str) -> None:
    # requests cannot repeat a header; http.client can.
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    connection.putrequest("GET", "/api/data/v9.2/contacts?$select=lastname")
    for name, value in (
        ("Authorization", "Bearer t"),
        ("Prefer", "odata.maxpagesize=1"),
        ("Prefer", 'odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcount"'),
    ):
        connection.putheader(name, value)
    connection.endheaders()
    response = connection.getresponse()
    body = response.read()
    connection.close()
    assert response.status == 200
    applied = response.getheader("Preference-Applied")
    assert "odata.maxpagesize=1" in applied and "odata.include-annotations" in applied
    assert b'"@Microsoft.Dynamics.CRM.totalrecordcount":-1' in body and b"@odata.nextLink" in body


def test_count_and_total_record_count(emulator: EmulatorServer, http: requests.Session, company: str) -> None:
    prefer = {
        "Prefer": 'odata.include-annotations="Microsoft.Dynamics.CRM.totalrecordcount,'
        'Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"'
    }
    body = http.get(
        emulator.url + "contacts?$filter=lastname eq 'Ahmadi'&$count=true", headers=prefer, timeout=5
    ).json()
    assert body["@odata.count"] == 2
    assert body["@Microsoft.Dynamics.CRM.totalrecordcount"] == 2
    assert body["@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded"] is False
    plain = http.get(emulator.url + "contacts/$count?$filter=lastname eq 'Ahmadi'", timeout=5)
    assert plain.status_code == 200 and plain.text == "2" and plain.headers["Content-Type"].startswith("text/plain")
    assert http.get(emulator.url + "contacts/$count?$top=1", timeout=5).status_code == 400


def test_page_size_wins_over_top(emulator: EmulatorServer, http: requests.Session, company: str) -> None:
    only_top = http.get(emulator.url + "contacts?$top=1&$filter=lastname eq 'Ahmadi'", timeout=5).json()
    assert len(only_top["value"]) == 1 and "@odata.nextLink" not in only_top
    both = http.get(
        emulator.url + "contacts?$top=1&$filter=lastname eq 'Ahmadi'",
        headers={"Prefer": "odata.maxpagesize=5"},
        timeout=5,
    ).json()
    assert len(both["value"]) == 2


def test_no_304_when_annotations_are_asked(emulator: EmulatorServer, http: requests.Session, company: str) -> None:
    first = http.get(f"{emulator.url}accounts({company})?$select=name", timeout=5)
    etag = first.headers["ETag"]
    assert (
        http.get(
            f"{emulator.url}accounts({company})?$select=name", headers={"If-None-Match": etag}, timeout=5
        ).status_code
        == 304
    )
    annotated = http.get(
        f"{emulator.url}accounts({company})?$select=name",
        timeout=5,
        headers={"If-None-Match": etag, "Prefer": 'odata.include-annotations="*"'},
    )
    assert annotated.status_code == 200


def test_collection_navigation_get_and_expand(emulator: EmulatorServer, http: requests.Session, company: str) -> None:
    listed = http.get(
        f"{emulator.url}accounts({company})/contact_customer_accounts?$select=fullname&$orderby=firstname", timeout=5
    )
    assert listed.status_code == 200, listed.text
    assert listed.json()["@odata.context"] == emulator.url + "$metadata#contacts(fullname)"
    assert [r["fullname"] for r in listed.json()["value"]] == ["Mina Ahmadi", "Reza Bahrami", "Sara Ahmadi"]
    expanded = http.get(
        f"{emulator.url}accounts({company})?$select=name,description&$expand=contact_customer_accounts("
        "$select=firstname;$filter=lastname eq 'Ahmadi';$orderby=firstname desc;$top=1)",
        timeout=5,
    )
    assert expanded.status_code == 200, expanded.text
    body = expanded.json()
    assert body["description"] == "Tested"
    assert [r["firstname"] for r in body["contact_customer_accounts"]] == ["Sara"]
    wrong_case = http.get(f"{emulator.url}accounts({company})?$expand=Contact_Customer_Accounts", timeout=5)
    assert wrong_case.status_code == 400 and "Could not find a property" in wrong_case.json()["error"]["message"]
    single_with_filter = http.get(f"{emulator.url}contacts?$expand=parentcustomerid_account($top=1)", timeout=5)
    assert single_with_filter.status_code == 400


def test_full_name_follows_first_and_last_name(emulator: EmulatorServer, http: requests.Session) -> None:
    contact = create(http, emulator.url + "contacts", {"firstname": "Nima", "lastname": "Rahimi"})
    assert http.patch(f"{emulator.url}contacts({contact})", json={"firstname": "Omid"}, timeout=5).status_code == 204
    read = http.get(f"{emulator.url}contacts({contact})?$select=fullname", timeout=5).json()
    assert read["fullname"] == "Omid Rahimi"
