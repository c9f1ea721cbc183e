"""Matching declared once from the schema, and a Functions worker's index refreshed by delta on use."""

from __future__ import annotations

import pytest

from connectors.dataverse import DeltaPage
from connectors.dataverse.errors import ServerError
from dataverse_schema import table
from domain.numbers import NumberPlan
from services.factory import build_services
from services.matching.sync import IndexOnUse, NumberSync
from services.matching.tables import DEFAULT_TABLES, NumberUse, default_tables, number_columns
from services.settings import AppSettings

C1 = "11111111-1111-1111-1111-111111111111"
C2 = "22222222-2222-2222-2222-222222222222"
SETS = ("contacts", "accounts", "leads", "systemusers")


class FakeClient:
    """Answers ``changes`` per entity set from queued pages; records (entity set, delta link) per request."""

    def __init__(self) -> None:
        self.pages: dict[str, list[DeltaPage | Exception]] = {s: [] for s in SETS}
        self.calls: list[tuple[str, str | None]] = []

    def changes(self, entity_set, *, select, delta_link=None):
        self.calls.append((entity_set, delta_link))
        page = self.pages[entity_set].pop(0)
        if isinstance(page, Exception):
            raise page
        return page

    def queue(self, round_no: int, contacts: list[dict] | None = None, deleted: list[str] | None = None) -> None:
        for entity_set in SETS:
            rows = contacts if entity_set == "contacts" and contacts else []
            gone = deleted if entity_set == "contacts" and deleted else []
            self.pages[entity_set].append(DeltaPage(rows or [], gone, f"{entity_set}-{round_no}"))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_default_is_every_phone_column_of_the_contact_types_in_the_schemas_order() -> None:
    assert [t.name for t in DEFAULT_TABLES] == ["contact", "account", "lead", "systemuser"]
    contact = DEFAULT_TABLES[0]
    assert len(contact.columns) == 12 and contact.columns[:4] == (
        "telephone1",
        "telephone2",
        "telephone3",
        "mobilephone",
    )
    assert {"business2", "assistantphone", "address1_telephone1"} <= set(contact.columns)
    assert "fax" not in contact.columns and contact.owner_column == "_ownerid_value"
    assert DEFAULT_TABLES[3].owner_column is None  # users are owned by a business unit, not a user


def test_fax_numbers_are_asked_for_apart() -> None:
    assert number_columns(table("contact"), NumberUse.FAX) == ("fax",)
    assert [t.name for t in default_tables(NumberUse.FAX)] == ["contact", "account", "lead"]  # users keep no fax


def test_a_contacts_fifth_phone_column_is_matched_by_default() -> None:
    client = FakeClient()
    client.queue(
        1,
        [
            {"contactid": C1, "business2": "021 8888 1234", "fullname": "Sara"},
            {"contactid": C2, "telephone3": "0912 123 4567", "fullname": "Reza"},
        ],
    )
    sync = NumberSync(client, "prod", NumberPlan(98, "21"))
    sync.refresh_now()
    assert sync.lookup("+982188881234").best.column == "business2"
    assert sync.lookup("+989121234567").best.record_id == C2


def test_a_worker_loads_once_then_asks_only_for_changes_when_used_after_max_age() -> None:
    client, clock = FakeClient(), Clock()
    client.queue(1, [{"contactid": C1, "mobilephone": "09121234567"}])
    index = IndexOnUse(NumberSync(client, "default", NumberPlan(98)), max_age_s=60, monotonic=clock)
    assert index().lookup("+989121234567").best.record_id == C1
    assert client.calls == [(s, None) for s in SETS]

    clock.now += 59
    index()
    assert len(client.calls) == 4  # fresh enough: no request

    clock.now += 1
    client.queue(2, [{"contactid": C2, "telephone3": "09350000000"}], deleted=[C1])
    matched = index()
    assert client.calls[4:] == [(s, f"{s}-1") for s in SETS]  # one delta request per table, no full reload
    assert matched.lookup("+989121234567").best is None and matched.lookup("+989350000000").best.record_id == C2


def test_a_failed_refresh_keeps_the_index_and_a_failed_first_load_is_tried_again() -> None:
    client, clock = FakeClient(), Clock()
    client.pages["contacts"].append(ServerError("down", status=503))
    index = IndexOnUse(NumberSync(client, "default", NumberPlan(98)), max_age_s=60, monotonic=clock)
    with pytest.raises(ServerError):
        index()
    client.queue(1, [{"contactid": C1, "mobilephone": "09121234567"}])
    assert index().lookup("+989121234567").best.record_id == C1

    clock.now += 60
    client.pages["contacts"].append(ServerError("down", status=503))
    assert index().lookup("+989121234567").best.record_id == C1
    clock.now += 1
    assert index() is not None and len(client.calls) == 1 + 4 + 1  # the failed round is not tried again yet


def test_the_functions_inbound_service_matches_with_the_environments_index() -> None:
    environ = {
        "COMMS_DATAVERSE_URL": "https://contoso.crm4.dynamics.com",
        "COMMS_DATAVERSE_STATIC_TOKEN": "t",
        "COMMS_MATCHING_REFRESH_S": "30",
    }
    services = build_services(AppSettings.from_env(environ))
    index = services.sms.inbound._index  # noqa: SLF001 - the wiring is what is under test
    assert isinstance(index, IndexOnUse) and index.sync is services.environment.numbers
    assert index._max_age_s == 30 and index.sync.tables == DEFAULT_TABLES  # noqa: SLF001
    assert index.sync.client is services.dataverse


class OlderServerClient:
    """A server before 8.2: no change tracking, only plain paged reads (what ``query`` returns is current)."""

    def __init__(self) -> None:
        self.rows: dict[str, list[dict]] = {s: [] for s in SETS}
        self.reads: list[str] = []

    def changes(self, entity_set, *, select, delta_link=None):
        from connectors.dataverse import NotSupportedError

        raise NotSupportedError("change tracking by odata.track-changes needs 8.2", operation="changes")

    def query(self, entity_set, *, select=None):
        self.reads.append(entity_set)
        return list(self.rows[entity_set])


def test_without_change_tracking_the_index_is_read_in_full_and_deletions_are_seen() -> None:
    client = OlderServerClient()
    client.rows["contacts"] = [
        {"contactid": C1, "mobilephone": "09121111111", "fullname": "Sara"},
        {"contactid": C2, "mobilephone": "09122222222", "fullname": "Reza"},
    ]
    sync = NumberSync(client, "crm-2016", NumberPlan(), keep_names=False)

    sync.refresh_now()
    assert sync.reads_in_full and sync.lookup("+989121111111").best is not None
    client.rows["contacts"] = [{"contactid": C2, "mobilephone": "09122222222", "fullname": "Reza"}]
    sync.refresh_now()

    assert sync.lookup("+989121111111").best is None  # the deleted contact is gone from the index
    assert sync.lookup("+989122222222").best is not None
    assert client.reads.count("contacts") == 2
