"""Each profile serves its version, and the suite's client adapts to it over a real NTLM sign-in."""

from __future__ import annotations

import pytest
import requests
from requests_ntlm import HttpNtlmAuth

from connectors.dataverse.schema_apply import apply_schema
from emulator.server.tables import tables_for
from tests.integration.onprem.conftest import ONPREM_PROFILES, PASSWORD, USER, onprem_server

pytestmark = pytest.mark.integration

EXPECTED = {
    "onprem-9.1": ("9.1.", "v9.0"),
    "onprem-9.0": ("9.0.", "v9.0"),
    "onprem-8.2": ("8.2.", "v8.2"),
    "crm-2016": ("8.1.", "v8.1"),
}


@pytest.mark.parametrize("name", ONPREM_PROFILES)
def test_the_client_reads_the_version_and_never_sends_what_the_version_lacks(ntlm_client, name):
    prefix, root = EXPECTED[name]
    with onprem_server(name) as server:
        client, seen = ntlm_client(server)
        assert str(client.features.version).startswith(prefix) and client.api_url.endswith(f"/{root}/")
        ids = client.create_multiple("accounts", "account", [{"name": f"Bulk {i}"} for i in range(3)])
        assert len(ids) == 3
        created = client.create("accounts", {"name": "One"})
        client.update("accounts", created, {"name": "One, renamed"})
        assert not any("Multiple" in url for url in seen.urls())
        assert any(url.endswith("/$batch") for url in seen.urls())
        assert server.profile.ignored == {}  # no preference the version does not know


@pytest.mark.parametrize("name", ["crm-2016", "onprem-9.0"])
def test_a_bad_record_in_a_batch_is_isolated_without_continue_on_error(ntlm_client, name):
    with onprem_server(name) as server:
        client, _ = ntlm_client(server)
        batch = client.batch()
        batch.add("POST", "accounts", {"name": "good 1"})
        batch.add("POST", "accounts", {"name": "bad", "no_such_column": 1})
        batch.add("POST", "accounts", {"name": "good 2"})
        results = client.execute(batch, continue_on_error=True)
        assert [result.ok for result in results] == [True, False, True]
        assert server.profile.ignored == {}


@pytest.mark.parametrize("name", ONPREM_PROFILES)
def test_schema_apply_runs_on_each_profile(ntlm_client, name):
    with onprem_server(name, tables=tables_for("standard")) as server:
        client, seen = ntlm_client(server)
        report = apply_schema(client, tables_for("installed"))
        assert any("comms_" in line for line in report.created)
        assert "appnotification" not in server.store.tables
        assert not any("Multiple" in url for url in seen.urls())
        # Our schema stays within the on-premises limit of five alternate keys per table.
        assert all(len(table.keys) <= 5 for table in server.store.tables.values())


@pytest.mark.parametrize(
    "name, served, refused",
    [
        ("online", ("v9.0", "v9.1", "v9.2"), ("v8.2",)),
        ("onprem-9.1", ("v8.2", "v9.0", "v9.1"), ("v9.2",)),
        ("onprem-9.0", ("v8.0", "v9.0"), ("v9.1", "v9.2")),
        ("onprem-8.2", ("v8.0", "v8.2"), ("v9.0",)),
        ("crm-2016", ("v8.0", "v8.1"), ("v8.2", "v9.0")),
    ],
)
def test_each_profile_answers_on_its_own_roots(name, served, refused):
    with onprem_server(name) as server, requests.Session() as session:
        if server.profile.is_windows:
            session.auth = HttpNtlmAuth(USER, PASSWORD)
        else:
            session.headers["Authorization"] = "Bearer t"
        for root in served:
            reply = session.get(f"{server.origin}/api/data/{root}/RetrieveVersion()")
            assert reply.status_code == 200 and reply.json()["Version"] == server.profile.version
        for root in refused:
            reply = session.get(f"{server.origin}/api/data/{root}/RetrieveVersion()")
            assert reply.status_code == 404
            assert reply.json()["error"]["message"] == f"Resource not found for the segment '{root}'."


@pytest.mark.parametrize("name", ["onprem-9.0", "onprem-8.2", "crm-2016"])
def test_what_the_version_lacks_is_refused_as_it_would_be(name):
    with onprem_server(name) as server, requests.Session() as session:
        session.auth = HttpNtlmAuth(USER, PASSWORD)
        bulk = session.post(server.url + "accounts/Microsoft.Dynamics.CRM.UpsertMultiple", json={"Targets": []})
        assert bulk.status_code == 404 and "UpsertMultiple" in bulk.json()["error"]["message"]
        missing = session.get(server.url + "appnotifications")
        assert missing.json()["error"]["message"] == "Resource not found for the segment 'appnotifications'."
        created = session.post(server.url + "accounts", json={"name": "x"}, headers={"Prefer": "return=representation"})
        tracked = session.get(server.url + "accounts?$select=name", headers={"Prefer": "odata.track-changes"})
        if name == "crm-2016":  # 8.1 knows neither preference: it answers as if they were not sent
            assert created.status_code == 204 and "@odata.deltaLink" not in tracked.json()
            assert server.profile.ignored == {"return=representation": 1, "odata.track-changes": 1}
        else:
            assert created.status_code == 201 and "@odata.deltaLink" in tracked.json()
            assert server.profile.ignored == {}


def test_a_sixth_alternate_key_is_refused_on_premises():
    with onprem_server("onprem-9.0") as server, requests.Session() as session:
        session.auth = HttpNtlmAuth(USER, PASSWORD)
        columns = ["name", "accountnumber", "telephone1", "emailaddress1", "fax", "websiteurl"]
        replies = [
            session.post(
                server.url + "EntityDefinitions(LogicalName='account')/Keys",
                json={
                    "SchemaName": f"new_key{i}",
                    "KeyAttributes": [column],
                    "DisplayName": {"LocalizedLabels": [{"Label": f"Key {i}", "LanguageCode": 1033}]},
                },
            )
            for i, column in enumerate(columns[:6])
        ]
        existing = len(server.store.tables["account"].keys)
        statuses = [reply.status_code for reply in replies]
        assert statuses[: 5 - existing] == [204] * (5 - existing)
        assert statuses[-1] == 400 and "maximum of 5 alternate keys" in replies[-1].json()["error"]["message"]
