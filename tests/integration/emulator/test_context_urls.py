"""``@odata.context`` of replies with ``$select`` and ``$expand``, pinned to Learn's sample responses.

Each expected string is the fragment after ``$metadata#`` in a response Microsoft Learn prints for the
same request:

- "Join tables using OData" (power-apps/developer/data-platform/webapi/query/join-tables), "Limit
  columns with $select": ``accounts?$select=name&$expand=primarycontactid($select=fullname),
  Account_Tasks($select=subject)``;
- "Create a table row using the Web API" (webapi/create-entity-web-api), "Associate table rows on
  create" with ``Prefer: return=representation``;
- "Web API Query Data Sample" (webapi/web-api-query-data-sample), section 6, "Expand on multiple
  navigation properties" and "Expand on partner property" (without ``annualincome``, a column the
  emulator's contact table does not have; the shape is the same);
- "Page results using OData" (webapi/query/page-results): ``contacts?$select=fullname``.
"""

from __future__ import annotations

import pytest
import requests

from emulator.server import EmulatorServer

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def account(emulator: EmulatorServer, http: requests.Session) -> dict[str, str]:
    url = emulator.url
    contact = http.post(url + "contacts", json={"firstname": "Yvonne", "lastname": "McKay (sample)"}, timeout=5)
    contact_id = contact.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    created = http.post(
        url + "accounts",
        json={
            "name": "Contoso, Ltd. (sample)",
            "primarycontactid@odata.bind": f"/contacts({contact_id})",
            "Account_Tasks": [{"subject": "Task 1"}],
            "contact_customer_accounts": [{"firstname": "Susanna", "lastname": "Stubberod (sample)"}],
        },
        timeout=5,
    )
    assert created.status_code == 204, created.text
    account_id = created.headers["OData-EntityId"].rsplit("(", 1)[1].rstrip(")")
    return {"account": account_id, "contact": contact_id}


def context(http: requests.Session, url: str, **kwargs: object) -> str:
    response = http.get(url, timeout=5, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response.json()["@odata.context"]


def test_join_tables_sample_collection_query(
    emulator: EmulatorServer, http: requests.Session, account: dict[str, str]
) -> None:
    url = (
        emulator.url + "accounts?$select=name&$expand=primarycontactid($select=fullname),Account_Tasks($select=subject)"
    )
    assert context(http, url, headers={"Prefer": "odata.maxpagesize=1"}) == (
        f"{emulator.url}$metadata#accounts(name,primarycontactid(fullname),Account_Tasks(subject))"
    )


def test_create_sample_with_representation(
    emulator: EmulatorServer, http: requests.Session, account: dict[str, str]
) -> None:
    response = http.post(
        emulator.url
        + "accounts?$select=name&$expand=primarycontactid($select=fullname),Account_Tasks($select=subject)",
        json={"name": "Sample Account", "primarycontactid@odata.bind": f"/contacts({account['contact']})"},
        headers={"Prefer": "return=representation"},
        timeout=5,
    )
    assert response.status_code == 201, response.text
    assert response.json()["@odata.context"] == (
        f"{emulator.url}$metadata#accounts(name,primarycontactid(fullname),Account_Tasks(subject))/$entity"
    )


def test_query_data_sample_expand_on_multiple_navigation_properties(
    emulator: EmulatorServer, http: requests.Session, account: dict[str, str]
) -> None:
    url = (
        f"{emulator.url}accounts({account['account']})?$select=name&$expand=primarycontactid($select=fullname,"
        "jobtitle),contact_customer_accounts($select=fullname,jobtitle),"
        "Account_Tasks($select=subject,description)"
    )
    assert context(http, url, headers={"Prefer": 'odata.include-annotations="*"'}) == (
        f"{emulator.url}$metadata#accounts(name,primarycontactid(fullname,jobtitle),"
        "contact_customer_accounts(fullname,jobtitle),Account_Tasks(subject,description))/$entity"
    )


def test_query_data_sample_expand_on_partner_property(
    emulator: EmulatorServer, http: requests.Session, account: dict[str, str]
) -> None:
    url = (
        f"{emulator.url}contacts({account['contact']})?$select=fullname,jobtitle"
        "&$expand=account_primary_contact($select=name)"
    )
    assert context(http, url) == (
        f"{emulator.url}$metadata#contacts(fullname,jobtitle,account_primary_contact(name))/$entity"
    )


def test_page_results_sample_select_only(emulator: EmulatorServer, http: requests.Session) -> None:
    url = emulator.url + "contacts?$select=fullname"
    assert (
        context(http, url, headers={"Prefer": "odata.maxpagesize=2"}) == f"{emulator.url}$metadata#contacts(fullname)"
    )


def test_nested_filter_orderby_and_top_do_not_appear(
    emulator: EmulatorServer, http: requests.Session, account: dict[str, str]
) -> None:
    """OData.Core writes only the selection of an expansion; its other options are not part of the shape."""
    url = (
        f"{emulator.url}accounts({account['account']})?$select=name&$expand=Account_Tasks($select=subject;"
        "$filter=contains(subject,'Task');$orderby=subject desc;$top=1)"
    )
    assert context(http, url) == f"{emulator.url}$metadata#accounts(name,Account_Tasks(subject))/$entity"


def test_expand_without_select_and_without_nested_select(
    emulator: EmulatorServer, http: requests.Session, account: dict[str, str]
) -> None:
    """UNCONFIRMED against Dataverse: no Learn sample shows it; this is OData.Core's shape (``nav()``)."""
    url = f"{emulator.url}accounts({account['account']})?$expand=primarycontactid"
    assert context(http, url) == f"{emulator.url}$metadata#accounts(primarycontactid())/$entity"
    plain = f"{emulator.url}accounts({account['account']})"
    assert context(http, plain) == f"{emulator.url}$metadata#accounts/$entity"


def test_related_collection_names_the_target_set(
    emulator: EmulatorServer, http: requests.Session, account: dict[str, str]
) -> None:
    url = f"{emulator.url}accounts({account['account']})/contact_customer_accounts?$select=fullname"
    assert context(http, url) == f"{emulator.url}$metadata#contacts(fullname)"
