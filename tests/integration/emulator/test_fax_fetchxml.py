"""The fax views and charts (FAX-15) run against the emulator's FetchXML and count seeded faxes right."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator

import pytest
import requests

import dataverse_schema as registry
from connectors.dataverse import DataverseClient, StaticToken
from emulator.server import EmulatorServer, FaultPlan
from emulator.server.tables import tables_for
from emulator.store import builtin
from solution.fax_reports import fax_charts, fax_status, fax_views

pytestmark = pytest.mark.integration
AUTH = {"Authorization": "Bearer t", "Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0"}
SENT, FAILED, GAVE_UP = fax_status("Sent"), fax_status("Failed"), fax_status("Gave up")
PENDING, RECEIVED = fax_status("Pending"), fax_status("Received")
CHARTS = {c.key: c for c in fax_charts()}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    db = tmp_path_factory.mktemp("faxfetch") / "dataverse.db"
    with EmulatorServer(db, faults=FaultPlan.none(), tables=list(tables_for("installed"))) as emulator:
        yield emulator


@pytest.fixture(scope="module")
def seeded(server: EmulatorServer) -> dict[str, str]:
    with requests.Session() as session:
        client = DataverseClient(base_url=server.origin, session=session, token_provider=StaticToken("t"), retry=None)
        acme = client.create("accounts", {"name": "Acme"})
        globex = client.create("accounts", {"name": "Globex"})
        rows = [  # outgoing, status, regarding account
            (True, SENT, acme),
            (True, SENT, acme),
            (True, FAILED, globex),
            (True, GAVE_UP, None),
            (True, PENDING, None),
            (False, RECEIVED, acme),
            (False, RECEIVED, None),
        ]
        for outgoing, status, regarding in rows:
            body = {"subject": "f", "directioncode": outgoing, "comms_faxstatus": int(status)}
            if regarding:
                body["regardingobjectid_account_fax@odata.bind"] = f"/accounts({regarding})"
            client.create("faxes", body)
    return {"acme": acme, "globex": globex}


@pytest.fixture(scope="module")
def get(server: EmulatorServer):
    with requests.Session() as session:
        yield lambda query: session.get(server.url + "faxes", params={"fetchXml": query}, headers=AUTH, timeout=10)


def chart_rows(get, key: str) -> list[dict]:
    query = ET.tostring(CHARTS[key].data_description().find("fetchcollection/fetch"), encoding="unicode")
    reply = get(query)
    assert reply.status_code == 200, (key, reply.text)
    return reply.json()["value"]


@pytest.mark.parametrize("view", fax_views(), ids=[v.key for v in fax_views()])
def test_every_fax_view_runs(get, seeded, view) -> None:
    reply = get(ET.tostring(view.fetch(registry.table("fax").primary_id), encoding="unicode"))
    assert reply.status_code == 200, reply.text


def test_the_failed_view_holds_failed_and_given_up_outgoing_faxes(get, seeded) -> None:
    view = next(v for v in fax_views() if v.key == "failed_last_7_days")
    rows = get(ET.tostring(view.fetch("activityid"), encoding="unicode")).json()["value"]
    assert Counter(int(r["comms_faxstatus"]) for r in rows) == Counter({int(FAILED): 1, int(GAVE_UP): 1})


def test_outgoing_by_status_counts_each_status(get, seeded) -> None:
    rows = chart_rows(get, "by_status")
    assert {int(r["category"]): r["measure"] for r in rows} == {
        int(SENT): 2,
        int(FAILED): 1,
        int(GAVE_UP): 1,
        int(PENDING): 1,
    }


def test_per_user_splits_the_owners_faxes_into_sent_and_received(get, seeded) -> None:
    rows = chart_rows(get, "per_user")
    assert {(r["category"], r["series"]): r["measure"] for r in rows} == {
        (builtin.APP_USER_ID, True): 5,
        (builtin.APP_USER_ID, False): 2,
    }


def test_per_customer_counts_the_faxes_regarding_each_account(get, seeded) -> None:
    rows = chart_rows(get, "per_customer")
    assert {(r["category"], r["series"]): r["measure"] for r in rows} == {
        (seeded["acme"], True): 2,
        (seeded["acme"], False): 1,
        (seeded["globex"], True): 1,
    }


def test_per_day_and_per_month_group_by_date(get, seeded) -> None:
    per_day = chart_rows(get, "per_day_by_status")
    assert sum(r["measure"] for r in per_day) == 5 and {r["series"] for r in per_day} == {
        int(SENT),
        int(FAILED),
        int(GAVE_UP),
        int(PENDING),
    }
    per_month = chart_rows(get, "per_month_by_direction")
    assert Counter({r["series"]: r["measure"] for r in per_month}) == Counter({True: 5, False: 2})
    assert all(isinstance(r["category"], int) and 1 <= r["category"] <= 12 for r in per_month)
