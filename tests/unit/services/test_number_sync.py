"""The number index kept fresh from change tracking: first load, deltas, deletions, a refused delta link."""

from __future__ import annotations

import pytest

from connectors.dataverse import DeltaPage, ValidationError
from domain.numbers import NumberPlan
from services.matching.sync import NumberSync
from services.matching.tables import MatchedTable

C1 = "11111111-1111-1111-1111-111111111111"
C2 = "22222222-2222-2222-2222-222222222222"
U1 = "33333333-3333-3333-3333-333333333333"
TABLES = (
    MatchedTable("contact", "contacts", "contactid", ("mobilephone", "telephone1"), "fullname"),
    MatchedTable(
        "systemuser",
        "systemusers",
        "systemuserid",
        ("mobilephone",),
        "fullname",
        owner_column=None,
        track_changes=False,
    ),
)


class FakeClient:
    def __init__(self) -> None:
        self.pages: dict[str, list[DeltaPage]] = {"contacts": [], "systemusers": []}
        self.calls: list[tuple[str, str | None]] = []

    def changes(self, entity_set, *, select, delta_link=None):
        self.calls.append((entity_set, delta_link))
        page = self.pages[entity_set].pop(0)
        if isinstance(page, Exception):
            raise page
        return page


def contact(record_id: str, mobile: str | None, name: str = "Reza", owner: str | None = U1) -> dict:
    return {
        "contactid": record_id,
        "mobilephone": mobile,
        "fullname": name,
        "_ownerid_value": owner,
        "modifiedon": "2024-04-25T08:00:00Z",
    }


def loaded() -> tuple[FakeClient, NumberSync]:
    client = FakeClient()
    client.pages["contacts"].append(
        DeltaPage([contact(C1, "09121234567"), contact(C2, "021 8888 1234", "Sara")], [], "delta-1")
    )
    client.pages["systemusers"].append(
        DeltaPage([{"systemuserid": U1, "mobilephone": "09350000000", "fullname": "Agent"}], [], "u-1")
    )
    sync = NumberSync(client, "prod", NumberPlan(98, "21"), TABLES)
    sync.refresh_now()
    return client, sync


def test_no_match_before_the_first_load() -> None:
    sync = NumberSync(FakeClient(), "prod", NumberPlan(), TABLES)
    assert sync.lookup("+989121234567").best is None


def test_first_load_indexes_every_table_with_names() -> None:
    _, sync = loaded()
    best = sync.lookup("+989121234567").best
    assert best.record_id == C1 and best.owner_id == U1 and sync.name_of(best) == "Reza"
    assert sync.lookup("+982188881234").best.record_id == C2
    assert sync.name_of(sync.lookup("+989350000000").best) == "Agent"


def test_delta_updates_and_deletes() -> None:
    client, sync = loaded()
    client.pages["contacts"].append(DeltaPage([contact(C1, "09129999999", "Reza A.")], [C2], "delta-2"))
    client.pages["systemusers"].append(DeltaPage([], [], "u-2"))
    report = sync.refresh_now()
    assert client.calls[-2] == ("contacts", "delta-1") and client.calls[-1] == ("systemusers", None)
    assert sync.lookup("+989121234567").best is None
    assert sync.name_of(sync.lookup("+989129999999").best) == "Reza A."
    assert sync.lookup("+982188881234").best is None and report.removed["contact"] == 1
    assert sync.lookup("+989350000000").best is None  # untracked table re-read in full: the user is gone


def test_a_refused_delta_link_rebuilds_the_index() -> None:
    client, sync = loaded()
    client.pages["contacts"] += [
        ValidationError("expired", status=400, code="0x80044352"),
        DeltaPage([contact(C2, "09120000000")], [], "fresh"),
    ]
    client.pages["systemusers"].append(DeltaPage([], [], "u-2"))
    report = sync.refresh_now()
    assert report.reloaded == ["contact"]
    assert sync.lookup("+989121234567").best is None and sync.lookup("+989120000000").best.record_id == C2


def test_hostile_rows_are_skipped_not_fatal() -> None:
    client = FakeClient()
    client.pages["contacts"].append(
        DeltaPage(
            [
                {"contactid": None, "mobilephone": "0912"},
                {"contactid": C1, "mobilephone": "garbage!", "modifiedon": "soon"},
                contact(C2, "۰۹۱۲۱۲۳۴۵۶۷", name=None, owner=None),
            ],
            [],
            "d",
        )
    )
    client.pages["systemusers"].append(DeltaPage([], [], "u"))
    sync = NumberSync(client, "prod", NumberPlan(98, "21"), TABLES)
    report = sync.refresh_now()
    assert report.indexed["contact"] == 2
    best = sync.lookup("+989121234567").best
    assert best.record_id == C2 and sync.name_of(best) == ""


def test_needs_a_table() -> None:
    with pytest.raises(ValueError):
        NumberSync(FakeClient(), "prod", NumberPlan(), ())


def test_the_sync_is_synchronous_for_every_host() -> None:
    """The bridge runs it in a worker thread; a Functions worker calls it directly: no coroutine anywhere."""
    assert not hasattr(NumberSync, "refresh")
