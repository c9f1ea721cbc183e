"""Dataverse's case rules over the wire: entity sets, property names, navigation properties, ``$metadata``.

Entity sets and property names are lower-case logical names; a navigation property in
``@odata.bind`` is exactly its ``ReferencingEntityNavigationPropertyName`` (the suite's lookups:
the schema name; standard ones: Microsoft's names). The wrong case gets Dataverse's own error.
"""

from __future__ import annotations

import requests
from lxml import etree

from connectors.dataverse import bind
from dataverse_schema import navigation
from dataverse_schema.names import Account, Contact, List, ListMember, Sms, SmsProvider
from emulator.server import EmulatorServer, csdl

UNDECLARED = (
    "An undeclared property '{}' which only has property annotations in the payload but no property "
    "value was found in the payload."
)


def error(response: requests.Response, status: int) -> dict:
    assert response.status_code == status, response.text
    return response.json()["error"]


def test_an_entity_set_in_the_wrong_case_is_not_found(emulator: EmulatorServer, http: requests.Session) -> None:
    body = error(http.get(emulator.url + "Contacts", timeout=5), 404)
    assert body == {"code": "0x8006088a", "message": "Resource not found for the segment 'Contacts'."}
    error(http.post(emulator.url + "Contacts", json={Contact.LASTNAME: "x"}, timeout=5), 404)


def test_property_names_are_logical_names(emulator: EmulatorServer, http: requests.Session) -> None:
    body = error(http.post(emulator.url + Contact.SET, json={"LastName": "x"}, timeout=5), 400)
    assert body["code"] == "0x80060888"
    assert body["message"].startswith("The property 'LastName' does not exist on type 'Microsoft.Dynamics.CRM.contact'")
    for query in ("$select=FullName", "$filter=LastName eq 'x'", "$orderby=LastName"):
        body = error(http.get(f"{emulator.url}{Contact.SET}?{query}", timeout=5), 400)
        assert body["code"] == "0x80060888" and "Could not find a property named" in body["message"]
    assert http.get(f"{emulator.url}{Contact.SET}?$select={Contact.FULLNAME}", timeout=5).status_code == 200


def test_custom_lookups_bind_by_their_schema_name_only(emulator: EmulatorServer, http: requests.Session) -> None:
    provider = http.post(emulator.url + SmsProvider.SET, json={SmsProvider.NAME: "case rules"}, timeout=5)
    provider_id = provider.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    good = {Sms.SUBJECT: "hello", **bind(Sms.SMSPROVIDERID_NAV, SmsProvider.SET, provider_id)}
    assert Sms.SMSPROVIDERID_NAV == "comms_SmsProviderId"
    assert http.post(emulator.url + Sms.SET, json=good, timeout=5).status_code == 204
    for wrong in ("comms_smsproviderid", "Comms_SmsProviderId", "comms_SMSProviderId"):
        body = {Sms.SUBJECT: "hello", **bind(wrong, SmsProvider.SET, provider_id)}
        refused = error(http.post(emulator.url + Sms.SET, json=body, timeout=5), 400)
        assert refused == {"code": "0x80060888", "message": UNDECLARED.format(wrong)}


def test_standard_lookups_bind_by_microsofts_names(emulator: EmulatorServer, http: requests.Session) -> None:
    def created(entity_set: str, body: dict) -> str:
        response = http.post(emulator.url + entity_set, json=body, timeout=5)
        assert response.status_code == 204, response.text
        return response.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")

    account = created(Account.SET, {Account.NAME: "Case Rules Ltd"})
    contact = created(
        Contact.SET,
        {
            Contact.LASTNAME: "Case",
            **bind(navigation.customer(Contact.PARENTCUSTOMERID, Account.TABLE), Account.SET, account),
        },
    )
    created(Account.SET, {Account.NAME: "Other", **bind(Account.PRIMARYCONTACTID_NAV, Contact.SET, contact)})
    list_id = created(List.SET, {List.LISTNAME: "Case list", List.CREATEDFROMCODE: 2})
    created(
        ListMember.SET,
        {
            **bind(ListMember.LISTID_NAV, List.SET, list_id),
            **bind(navigation.list_member(Contact.TABLE), Contact.SET, contact),
        },
    )
    refused = error(
        http.post(emulator.url + ListMember.SET, json={**bind("ListId", List.SET, list_id)}, timeout=5), 400
    )
    assert refused["message"] == UNDECLARED.format("ListId")


def test_metadata_is_csdl_xml_naming_the_bind_properties(emulator: EmulatorServer, http: requests.Session) -> None:
    response = http.get(emulator.url + "$metadata", timeout=10)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/xml"
    document = etree.fromstring(response.content)
    ns = {"e": csdl.EDM}
    sms = document.find(".//e:EntityType[@Name='comms_sms']", ns)
    names = {n.get("Name") for n in sms.findall("e:NavigationProperty", ns)}
    assert {Sms.SMSPROVIDERID_NAV, Sms.SMSNUMBERID_NAV} <= names and "comms_smsproviderid" not in names
    assert document.find(".//e:EntitySet[@Name='comms_smses']", ns).get("EntityType") == "mscrm.comms_sms"
