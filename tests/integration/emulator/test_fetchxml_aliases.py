"""Keys and annotations of aliased and linked columns in FetchXML replies, as Learn shows them.

- "Join tables using FetchXml" (power-apps/developer/data-platform/fetchxml/join-tables): linked columns
  are named ``<tablealias>.<logicalname>`` in the Web API reply (``account1.name`` when no alias is
  given), not ``alias_x002e_column`` (the spelling of the 8.x Web API; MicrosoftDocs/powerapps-docs#476).
- "Select columns using FetchXml" (fetchxml/select-columns), Web API tab: with
  ``Prefer: odata.include-annotations="*"`` an aliased column carries
  ``@OData.Community.Display.V1.AttributeName`` with its logical name, beside its formatted value.
"""

from __future__ import annotations

from urllib.parse import quote

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration

ATTRIBUTE_NAME = "@OData.Community.Display.V1.AttributeName"
FORMATTED = "@OData.Community.Display.V1.FormattedValue"
ALL = {"Prefer": 'odata.include-annotations="*"'}


@pytest.fixture(scope="module")
def seeded(emulator: EmulatorServer, http: requests.Session) -> str:
    contact = http.post(emulator.url + "contacts", json={"firstname": "Susanna", "lastname": "Alias"}, timeout=5)
    contact_id = contact.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    account = {"name": "Alias Works", "primarycontactid@odata.bind": f"/contacts({contact_id})"}
    assert http.post(emulator.url + "accounts", json=account, timeout=5).status_code == 204
    return emulator.url


def fetch(http: requests.Session, url: str, entity_set: str, xml: str, **headers: str) -> list[dict]:
    response = http.get(f"{url}{entity_set}?fetchXml={quote(xml)}", headers=headers, timeout=5)
    assert response.status_code == 200, response.text
    return response.json()["value"]


def test_link_entity_columns_are_alias_dot_column(seeded: str, http: requests.Session) -> None:
    xml = (
        "<fetch><entity name='account'><attribute name='name'/>"
        "<filter><condition attribute='name' operator='eq' value='Alias Works'/></filter>"
        "<link-entity name='contact' from='contactid' to='primarycontactid' link-type='inner' alias='contact'>"
        "<attribute name='fullname'/></link-entity></entity></fetch>"
    )
    [row] = fetch(http, seeded, "accounts", xml)
    assert row["name"] == "Alias Works"
    assert row["contact.fullname"] == "Susanna Alias"
    assert not any("_x002e_" in key for key in row)


def test_a_link_without_alias_is_named_as_learn_says(seeded: str, http: requests.Session) -> None:
    """Learn: "if no alias is provided, the data is returned with a column named ``account1.name``"."""
    xml = (
        "<fetch><entity name='contact'><attribute name='fullname'/>"
        "<link-entity name='account' from='primarycontactid' to='contactid'>"
        "<attribute name='name'/></link-entity></entity></fetch>"
    )
    rows = fetch(http, seeded, "contacts", xml)
    assert {"fullname": "Susanna Alias", "account1.name": "Alias Works"}.items() <= next(
        row for row in rows if row.get("fullname") == "Susanna Alias"
    ).items()


def test_aliased_columns_carry_attribute_name_as_in_learns_sample(seeded: str, http: requests.Session) -> None:
    xml = (
        "<fetch><entity name='account'>"
        "<attribute name='createdby' alias='whocreated'/><attribute name='createdon' alias='whencreated'/>"
        "<attribute name='name' alias='companyname'/>"
        "<filter><condition attribute='name' operator='eq' value='Alias Works'/></filter>"
        "</entity></fetch>"
    )
    [row] = fetch(http, seeded, "accounts", xml, **ALL)
    assert row["companyname"] == "Alias Works"
    assert row[f"companyname{ATTRIBUTE_NAME}"] == "name"
    assert f"companyname{FORMATTED}" not in row
    assert row[f"whencreated{ATTRIBUTE_NAME}"] == "createdon"
    assert f"whencreated{FORMATTED}" in row
    assert row[f"whocreated{ATTRIBUTE_NAME}"] == "createdby"
    assert row["whocreated@Microsoft.Dynamics.CRM.lookuplogicalname"] == "systemuser"
    keys = list(row)
    assert keys.index(f"whencreated{ATTRIBUTE_NAME}") < keys.index("whencreated")  # before the value, as Learn's


def test_linked_columns_carry_attribute_name(seeded: str, http: requests.Session) -> None:
    xml = (
        "<fetch><entity name='account'><attribute name='name'/>"
        "<filter><condition attribute='name' operator='eq' value='Alias Works'/></filter>"
        "<link-entity name='contact' from='contactid' to='primarycontactid' alias='pc'>"
        "<attribute name='fullname'/><attribute name='parentcustomerid'/></link-entity></entity></fetch>"
    )
    [row] = fetch(http, seeded, "accounts", xml, **ALL)
    assert row[f"pc.fullname{ATTRIBUTE_NAME}"] == "fullname"
    assert f"name{ATTRIBUTE_NAME}" not in row
    assert f"accountid{ATTRIBUTE_NAME}" not in row


def test_attribute_name_only_when_asked(seeded: str, http: requests.Session) -> None:
    xml = (
        "<fetch><entity name='account'><attribute name='name' alias='companyname'/>"
        "<filter><condition attribute='name' operator='eq' value='Alias Works'/></filter></entity></fetch>"
    )
    [plain] = fetch(http, seeded, "accounts", xml)
    assert f"companyname{ATTRIBUTE_NAME}" not in plain
    formatted_only = {"Prefer": 'odata.include-annotations="OData.Community.Display.V1.FormattedValue"'}
    [narrow] = fetch(http, seeded, "accounts", xml, **formatted_only)
    assert f"companyname{ATTRIBUTE_NAME}" not in narrow
    [exact] = fetch(http, seeded, "accounts", xml, Prefer=f'odata.include-annotations="{ATTRIBUTE_NAME[1:]}"')
    assert exact[f"companyname{ATTRIBUTE_NAME}"] == "name"
