"""No query option is ever silently ignored (issue 10): every GET route, every system option.

Table-driven: each option is sent to each route with a value that would change the answer if it were
applied; the answer must either differ from the answer without the option (applied) or be a 400 / 501
(refused). A 200 identical to the plain answer is an option the emulator dropped on the floor.
"""

from __future__ import annotations

import uuid

import pytest
import requests

from emulator.server import EmulatorServer

ACCOUNT_ID = str(uuid.UUID(int=0xA1))
CONTACT_IDS = (str(uuid.UUID(int=0xC1)), str(uuid.UUID(int=0xC2)))
_TABLE = "EntityDefinitions(LogicalName='account')"

#: (route, values for options whose value depends on the route). Routes answer several rows where they list.
ROUTES: list[tuple[str, dict[str, str]]] = [
    (
        "accounts",
        {
            "$select": "name",
            "$filter": "name eq 'none'",
            "$orderby": "name desc",
            "$expand": "primarycontactid($select=fullname)",
        },
    ),
    (f"accounts({ACCOUNT_ID})", {"$select": "name", "$expand": "primarycontactid($select=fullname)"}),
    (f"accounts({ACCOUNT_ID})/name", {}),
    (
        f"accounts({ACCOUNT_ID})/contact_customer_accounts",
        {
            "$select": "firstname",
            "$filter": "firstname eq 'none'",
            "$orderby": "firstname desc",
            "$expand": "parentcustomerid_account($select=name)",
        },
    ),
    ("accounts/$count", {"$filter": "name eq 'none'"}),
    ("EntityDefinitions", {"$select": "LogicalName", "$filter": "LogicalName eq 'account'", "$expand": "Keys"}),
    (_TABLE, {"$select": "LogicalName", "$expand": "Keys"}),
    (f"{_TABLE}/Attributes", {"$select": "LogicalName", "$filter": "LogicalName eq 'name'", "$expand": "OptionSet"}),
    (f"{_TABLE}/Attributes(LogicalName='name')", {"$select": "LogicalName"}),
    (
        f"{_TABLE}/Attributes/Microsoft.Dynamics.CRM.StringAttributeMetadata",
        {"$select": "LogicalName", "$filter": "LogicalName eq 'name'"},
    ),
    (f"{_TABLE}/Keys", {"$select": "LogicalName", "$filter": "LogicalName eq 'none'"}),
    (f"{_TABLE}/OneToManyRelationships", {"$select": "SchemaName", "$filter": "SchemaName eq 'none'"}),
    (
        "EntityDefinitions(LogicalName='contact')/ManyToOneRelationships",
        {"$select": "SchemaName", "$filter": "SchemaName eq 'none'"},
    ),
    (
        "EntityDefinitions(LogicalName='team')/ManyToManyRelationships",
        {"$select": "SchemaName", "$filter": "SchemaName eq 'none'"},
    ),
    ("RelationshipDefinitions", {"$select": "SchemaName", "$filter": "SchemaName eq 'none'"}),
    ("RelationshipDefinitions(SchemaName='contact_customer_accounts')", {"$select": "SchemaName"}),
    (
        "RelationshipDefinitions/Microsoft.Dynamics.CRM.OneToManyRelationshipMetadata",
        {"$select": "SchemaName", "$filter": "SchemaName eq 'none'"},
    ),
    ("GlobalOptionSetDefinitions", {"$select": "Name", "$filter": "Name eq 'none'"}),
    ("$metadata", {}),
    ("", {}),
    ("WhoAmI", {"$select": "UserId"}),
    ("RetrieveVersion", {"$select": "Version"}),
    ("RetrieveTotalRecordCount(EntityNames=['account','contact'])", {"$select": "EntityRecordCountCollection"}),
]
#: Every system query option, with a value for routes that do not name their own.
OPTIONS = {
    "$select": "name",
    "$filter": "name eq 'none'",
    "$orderby": "name desc",
    "$top": "1",
    "$count": "true",
    "$expand": "primarycontactid",
    "$skip": "1",
    "$apply": "aggregate($count as n)",
    "$search": "contoso",
    "$compute": "1 as one",
    "$levels": "2",
    "$index": "1",
    "$schemaversion": "1",
    "$id": "accounts(00000000-0000-0000-0000-000000000001)",
    "$format": "atom",
    "$nonsense": "1",
    "$skiptoken": "x",
    "$deltatoken": "x",
}
_REFUSED = (400, 501)


@pytest.fixture(scope="module")
def base(emulator: EmulatorServer, http: requests.Session) -> str:
    http.post(emulator.url + "contacts", json={"contactid": CONTACT_IDS[0], "firstname": "Ada"}).raise_for_status()
    http.post(emulator.url + "contacts", json={"contactid": CONTACT_IDS[1], "firstname": "Bob"}).raise_for_status()
    http.post(
        emulator.url + "accounts",
        json={
            "accountid": ACCOUNT_ID,
            "name": "Contoso",
            "primarycontactid@odata.bind": f"/contacts({CONTACT_IDS[0]})",
        },
    ).raise_for_status()
    http.post(emulator.url + "accounts", json={"name": "Fabrikam"}).raise_for_status()
    for contact_id in CONTACT_IDS:
        http.patch(
            emulator.url + f"contacts({contact_id})",
            json={"parentcustomerid_account@odata.bind": f"/accounts({ACCOUNT_ID})"},
        ).raise_for_status()
    label = {"LocalizedLabels": [{"Label": "Colour", "LanguageCode": 1033}]}
    http.post(
        emulator.url + f"{_TABLE}/Keys",
        json={
            "SchemaName": "new_accountnumber",
            "KeyAttributes": ["accountnumber"],
            "DisplayName": label,
        },
    ).raise_for_status()
    http.post(
        emulator.url + "GlobalOptionSetDefinitions",
        json={
            "Name": "new_colour",
            "OptionSetType": "Picklist",
            "DisplayName": label,
            "Options": [{"Value": 1, "Label": {"LocalizedLabels": [{"Label": "Red", "LanguageCode": 1033}]}}],
        },
    ).raise_for_status()
    return emulator.url


def _comparable(response: requests.Response) -> object:
    if response.headers.get("Content-Type", "").startswith("application/json"):
        return response.json()
    return response.text


@pytest.mark.parametrize("route, values", ROUTES, ids=[route or "service-document" for route, _ in ROUTES])
def test_every_option_is_applied_or_refused(
    base: str, http: requests.Session, route: str, values: dict[str, str]
) -> None:
    plain = http.get(base + route)
    assert plain.status_code == 200, plain.text
    ignored = []
    for option, default in OPTIONS.items():
        answer = http.get(base + route, params={option: values.get(option, default)})
        if answer.status_code in _REFUSED:
            assert answer.json()["error"]["message"], (route, option)
            continue
        assert answer.status_code == 200, (route, option, answer.status_code, answer.text)
        if _comparable(answer) == _comparable(plain):
            ignored.append(option)
    assert not ignored, f"{route or '/'} ignores {ignored}"


def test_relationship_collections_apply_filter_and_select(base: str, http: requests.Session) -> None:
    rows = http.get(
        base + f"{_TABLE}/OneToManyRelationships",
        params={"$select": "SchemaName", "$filter": "SchemaName eq 'contact_customer_accounts'"},
    ).json()["value"]
    assert [row["SchemaName"] for row in rows] == ["contact_customer_accounts"]
    assert set(rows[0]) == {"@odata.type", "MetadataId", "SchemaName"}
    rows = http.get(
        base + "EntityDefinitions(LogicalName='contact')/ManyToOneRelationships",
        params={"$select": "ReferencedEntity", "$filter": "ReferencedEntity eq 'account'"},
    ).json()["value"]
    assert rows and {row["ReferencedEntity"] for row in rows} == {"account"}
    assert all("SchemaName" not in row for row in rows)


@pytest.mark.parametrize(
    "method, path",
    [
        ("POST", f"{_TABLE}/Keys"),
        ("PUT", _TABLE),
        ("POST", "GlobalOptionSetDefinitions"),
        ("DELETE", f"{_TABLE}/Attributes(LogicalName='name')"),
    ],
)
def test_metadata_writes_refuse_query_options(base: str, http: requests.Session, method: str, path: str) -> None:
    answer = http.request(method, base + path, params={"$select": "LogicalName"}, json={})
    assert answer.status_code == 400
    assert "$select" in answer.json()["error"]["message"]


#: Write routes: (name, method, path, body). Under ``Prefer: return=representation`` the first two
#: apply ``$select`` / ``$expand`` to the record they return; every other option, and every option
#: on the others, must be refused.
WRITES: list[tuple[str, str, str, object]] = [
    ("create", "POST", "accounts", {"name": "Written"}),
    ("update", "PATCH", f"accounts({ACCOUNT_ID})", {"description": "written"}),
    ("delete", "DELETE", "accounts(00000000-0000-0000-0000-0000000000ff)", None),
    (
        "CreateMultiple",
        "POST",
        "accounts/Microsoft.Dynamics.CRM.CreateMultiple",
        {"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", "name": "Bulk"}]},
    ),
    (
        "UpdateMultiple",
        "POST",
        "accounts/Microsoft.Dynamics.CRM.UpdateMultiple",
        {"Targets": [{"@odata.type": "Microsoft.Dynamics.CRM.account", "accountid": ACCOUNT_ID, "name": "Contoso"}]},
    ),
    ("associate", "POST", f"accounts({ACCOUNT_ID})/contact_customer_accounts/$ref", None),
    (
        "BulkDelete",
        "POST",
        "BulkDelete",
        {
            "JobName": "none",
            "QuerySet": [
                {
                    "@odata.type": "Microsoft.Dynamics.CRM.QueryExpression",
                    "EntityName": "account",
                    "Criteria": {
                        "FilterOperator": "And",
                        "Conditions": [{"AttributeName": "name", "Operator": "Equal", "Values": [{"Value": "none"}]}],
                    },
                }
            ],
            "SendEmailNotification": False,
            "ToRecipients": [],
            "CCRecipients": [],
            "RecurrencePattern": "",
            "StartDateTime": "2024-01-01T00:00:00Z",
        },
    ),
]
_SHAPING = {"create": ("$select", "$expand"), "update": ("$select", "$expand")}
_REPRESENTATION = {"Prefer": "return=representation"}


def _write(http: requests.Session, base: str, write: tuple[str, str, str, object], **params: str) -> requests.Response:
    name, method, path, body = write
    if name == "associate":
        body = {"@odata.id": f"{base}contacts({CONTACT_IDS[0]})"}
    return http.request(method, base + path, params=params, json=body, headers=_REPRESENTATION)


@pytest.mark.parametrize("write", WRITES, ids=[name for name, *_ in WRITES])
def test_every_option_on_a_write_is_applied_or_refused(
    base: str, http: requests.Session, write: tuple[str, str, str, object]
) -> None:
    name = write[0]
    plain = _write(http, base, write)
    assert plain.status_code < 300 or name == "delete", plain.text
    ignored = []
    for option, default in OPTIONS.items():
        value = {"$select": "name", "$expand": "primarycontactid($select=fullname)"}.get(option, default)
        answer = _write(http, base, write, **{option: value})
        if option in _SHAPING.get(name, ()):
            assert answer.status_code in (200, 201), (name, option, answer.text)
            if set(answer.json()) == set(plain.json()):
                ignored.append(option)
            continue
        if answer.status_code not in _REFUSED:
            ignored.append(option)
            continue
        assert answer.json()["error"]["message"], (name, option)
    assert not ignored, f"{name} ignores {ignored}"


def test_a_write_shapes_its_representation_with_select_and_expand(base: str, http: requests.Session) -> None:
    created = http.post(
        base + "accounts",
        params={"$select": "name", "$expand": "primarycontactid($select=fullname)"},
        json={"name": "Shaped", "primarycontactid@odata.bind": f"/contacts({CONTACT_IDS[1]})"},
        headers=_REPRESENTATION,
    ).json()
    assert created["name"] == "Shaped" and created["primarycontactid"]["fullname"] == "Bob"
    assert "description" not in created and created["@odata.context"].endswith(
        "#accounts(name,primarycontactid(fullname))/$entity"  # Learn's shape: the expansion is listed too
    )
    updated = http.patch(
        base + f"accounts({created['accountid']})",
        params={"$select": "description"},
        json={"description": "shaped"},
        headers=_REPRESENTATION,
    ).json()
    assert updated["description"] == "shaped" and "name" not in updated


def test_select_without_a_representation_is_refused(base: str, http: requests.Session) -> None:
    answer = http.post(base + "accounts", params={"$select": "name"}, json={"name": "Nothing back"})
    assert answer.status_code == 400 and "return=representation" in answer.json()["error"]["message"]
