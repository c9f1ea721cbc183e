"""CALL-41: the responsible-person columns as a telephony-system setting, and the call logger's hook that shares
a written, matched call with the persons they name (once, off the writer thread, retried on the next write)."""

from __future__ import annotations

from concurrent.futures import Future
from types import SimpleNamespace
from typing import Any

import pytest

from bridge.calls.sharing import RETRY_DELAYS_S, ResponsibleSharing, Worker
from connectors.errors import NotSentError
from dataverse_schema import TABLES
from dataverse_schema.names import TelephonySystem
from services.calls.responsible_access import columns_for, parse_columns
from services.calls.telephony_settings import SYSTEM_COLUMNS, SystemOptions, parse_settings
from solution.forms import default_form

SUPPORT, SALES, AGENT = "5a1e5000-0000-0000-0000-000000000001", "5a1e5000-0000-0000-0000-000000000002", "a9e47"


def system_row(**changes: Any) -> dict[str, Any]:
    row = {TelephonySystem.SYSTEMKEY: "hq", TelephonySystem.COUNTRYCODE: "98"}
    row.update(changes)
    return row


def test_the_setting_is_read_from_the_system_row() -> None:
    text = "Contact: ownerid, comms_supportownerid\naccount: ownerid;"
    parsed = parse_settings(system_row(**{TelephonySystem.RESPONSIBLECOLUMNS: text}), [], [])
    assert parsed.options.responsible_columns == (
        ("contact", ("ownerid", "comms_supportownerid")),
        ("account", ("ownerid",)),
    )
    assert parsed.problems == ()
    assert parse_settings(system_row(), [], []).options.responsible_columns == ()
    assert TelephonySystem.RESPONSIBLECOLUMNS in SYSTEM_COLUMNS


@pytest.mark.parametrize("bad", ["contact ownerid", "contact: owner id", "contact:", "contact: a; contact: b"])
def test_a_bad_setting_is_reported_and_shares_with_nobody(bad: str) -> None:
    parsed = parse_settings(system_row(**{TelephonySystem.RESPONSIBLECOLUMNS: bad}), [], [])
    assert parsed.options.responsible_columns == ()
    assert any("responsible-person columns" in problem for problem in parsed.problems)


def test_the_system_form_shows_the_setting() -> None:
    table = TABLES[TelephonySystem.TABLE]
    shown = {name for section in default_form(table).layout[0] for name in section.columns}
    assert TelephonySystem.RESPONSIBLECOLUMNS in shown


def test_only_tables_with_a_known_entity_set_are_used() -> None:
    columns = columns_for(parse_columns("contact: ownerid; comms_project: ownerid"), {"contact": "contacts"})
    assert columns.of("contact") == ("contacts", ("ownerid",)) and columns.of("comms_project") is None


class FakeClient:
    def __init__(self, fail: int = 0) -> None:
        self.granted: list[str] = []
        self.reads = 0
        self.fail = fail

    def retrieve(self, entity_set: str, record_id: str, select: list[str]) -> dict[str, Any]:
        self.reads += 1
        if self.fail:
            self.fail -= 1
            raise NotSentError("link down")
        return {"_ownerid_value": SALES.upper(), "_comms_supportownerid_value": SUPPORT}

    def request(self, method: str, path: str, *, json: dict[str, Any], **_: Any) -> None:
        self.granted.append(json["PrincipalAccess"]["Principal"]["systemuserid"])


def crm(columns: str = "contact: ownerid, comms_supportownerid") -> SimpleNamespace:
    options = SystemOptions(responsible_columns=parse_columns(columns))
    return SimpleNamespace(
        name="prod", numbers=SimpleNamespace(entity_sets={"contact": "contacts"}), options=lambda key: options
    )


def activity(table: str = "contact", user: str | None = AGENT) -> SimpleNamespace:
    return SimpleNamespace(matched=SimpleNamespace(ref=SimpleNamespace(table=table, record_id="c-1")), user_id=user)


CALL = SimpleNamespace(key="hq:1700000000.1", system="hq")


def written(error: Exception | None = None) -> Future[int]:
    future: Future[int] = Future()
    if error:
        future.set_exception(error)
    else:
        future.set_result(1)
    return future


def test_a_written_matched_call_is_shared_once_with_its_responsible_persons() -> None:
    client, jobs = FakeClient(), []
    sharing = ResponsibleSharing({"prod": client}, schedule=lambda delay, job: jobs.append(job))
    pending: Future[int] = Future()
    sharing.follow(pending, crm(), CALL, activity(), "call-id")
    assert jobs == []  # nothing before the row is committed
    pending.set_result(1)
    jobs.pop()()
    assert sorted(client.granted) == sorted([SALES, SUPPORT])
    assert sharing.responsible_for(CALL.key) == {SALES, SUPPORT}
    sharing.follow(written(), crm(), CALL, activity(), "call-id")  # the call's next write
    assert jobs == [] and client.reads == 1


def test_nothing_is_shared_without_a_match_settings_or_a_committed_write() -> None:
    client, jobs = FakeClient(), []
    sharing = ResponsibleSharing({"prod": client}, schedule=lambda delay, job: jobs.append(job))
    sharing.follow(written(), crm(), CALL, SimpleNamespace(matched=None, user_id=None), "call-id")
    sharing.follow(written(), crm(), CALL, activity(table="lead"), "call-id")
    sharing.follow(written(), crm(""), CALL, activity(), "call-id")
    sharing.follow(written(RuntimeError("commit failed")), crm(), CALL, activity(), "call-id")
    assert jobs == [] and sharing.responsible_for(CALL.key) == frozenset()


def test_a_failed_share_is_tried_again_later_until_the_call_is_in_dataverse() -> None:
    client, waits = FakeClient(fail=2), []

    def schedule(delay: float, job) -> None:
        waits.append(delay)
        job()

    sharing = ResponsibleSharing({"prod": client}, schedule=schedule)
    sharing.follow(written(), crm(), CALL, activity(user=SUPPORT), "call-id")
    assert waits == [0.0, RETRY_DELAYS_S[0], RETRY_DELAYS_S[1]]
    assert client.granted == [SALES]  # the owner (the extension's user) is not shared with


def test_a_share_that_keeps_failing_gives_up_and_is_tried_on_the_next_write() -> None:
    client, waits = FakeClient(fail=len(RETRY_DELAYS_S) + 1), []

    def schedule(delay: float, job) -> None:
        waits.append(delay)
        job()

    sharing = ResponsibleSharing({"prod": client}, schedule=schedule)
    sharing.follow(written(), crm(), CALL, activity(), "call-id")
    assert waits == [0.0, *RETRY_DELAYS_S] and client.granted == []
    sharing.follow(written(), crm(), CALL, activity(), "call-id")
    assert len(client.granted) == 2


def test_the_default_worker_runs_the_share() -> None:
    client = FakeClient()
    sharing = ResponsibleSharing({"prod": client})
    sharing.follow(written(), crm(), CALL, activity(), "call-id")
    sharing.close()
    assert len(client.granted) == 2


def test_the_worker_runs_due_jobs_and_drops_later_ones_at_close() -> None:
    ran: list[str] = []
    now = [100.0]
    worker = Worker(clock=lambda: now[0])
    worker.submit(600.0, lambda: ran.append("later"))
    worker.submit(0.0, lambda: ran.append("now"))
    worker.close()
    worker.submit(0.0, lambda: ran.append("after close"))
    assert ran == ["now"]


def test_the_console_shows_a_shared_call_to_the_responsible_person_under_the_record_owner_rule() -> None:
    from bridge.console.visibility import Viewer, can_see_call
    from domain.calls.system_settings import CallVisibility, TelephonySystemSettings

    from .console.builders import record

    call = record()
    owner_rule = TelephonySystemSettings(key=call.system, visibility=CallVisibility.RECORD_OWNER)
    extension_rule = TelephonySystemSettings(key=call.system, visibility=CallVisibility.OWN_EXTENSION)
    support = Viewer(SUPPORT)
    assert can_see_call(support, call, owner_rule, None, frozenset(), frozenset({SUPPORT}))
    assert not can_see_call(support, call, owner_rule, None, frozenset(), frozenset())
    assert not can_see_call(support, call, extension_rule, None, frozenset(), frozenset({SUPPORT}))
    assert can_see_call(Viewer("boss", is_supervisor=True), call, extension_rule, None, frozenset())
