"""The click-to-call request row is linked to the phone call its Originate began, whichever side comes first,
and only with a write of the call that is not held (issue 11 §1.7, §4). A real outbox file; nothing sleeps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bridge.calls.logger import phone_call_id
from bridge.click_to_call.links import ClickToCallLinks
from bridge.outbox.store import Outbox, OutboxItem
from connectors.crm.phone_call import phone_call_key
from connectors.dataverse import AlternateKey, RecordId
from domain.calls.events import CallEvent, Direction, EventKind
from domain.calls.fold import fold
from domain.calls.record import CallRecord
from tests.unit.bridge.test_call_logger import T0

ENV, SYSTEM, REQUEST = "prod", "pbx", "0f8fad5b-d9cb-469f-a165-70867728950e"


@pytest.fixture
def outbox(tmp_path: Path) -> Iterator[Outbox]:
    with Outbox(tmp_path / "outbox.db") as box:
        yield box


def record(call_id: str = "1714554000.5", direction: Direction | None = Direction.OUTBOUND) -> CallRecord:
    return fold([CallEvent(EventKind.DIAL, SYSTEM, call_id, T0, direction=direction, external_number="0912")])


def links_written(outbox: Outbox) -> list[dict]:
    return [q.item.body for q in outbox.pending(ENV) if q.item.ref == RecordId(REQUEST)]


def test_the_originate_first_then_the_call_written(outbox: Outbox) -> None:
    links, call = ClickToCallLinks(outbox), record()
    links.expect(ENV, SYSTEM, call.call_id, REQUEST)
    links.logged(call, ENV, phone_call_id(call), "Call to 0912", held=True)  # held: its write waits, so does the link
    assert links_written(outbox) == [] and links.linked == 0
    links.logged(call, ENV, phone_call_id(call), "Call to 0912", held=False)
    assert links_written(outbox) == [
        {"comms_PhoneCallId@odata.bind": f"/phonecalls({phone_call_id(call)})", "comms_name": "Call to 0912"}
    ]
    links.logged(call, ENV, phone_call_id(call), "Call to 0912", held=False)  # a later write links nothing again
    assert links.linked == 1


def test_the_call_written_before_the_originate_reply(outbox: Outbox) -> None:
    links, call = ClickToCallLinks(outbox), record()
    links.logged(call, ENV, phone_call_id(call), "Call to 0912", held=False)
    links.expect(ENV, SYSTEM, call.call_id, REQUEST)
    assert links.linked == 1 and len(links_written(outbox)) == 1


def test_the_link_goes_after_the_phone_call_even_when_the_request_row_waited_first(outbox: Outbox) -> None:
    links, call = ClickToCallLinks(outbox), record()
    outbox.put(OutboxItem(ENV, "comms_clicktocalls", RecordId(REQUEST), {"comms_status": 2}))  # the outcome
    outbox.put(OutboxItem(ENV, "phonecalls", AlternateKey(phone_call_key(call)), {"subject": "x"}))
    links.expect(ENV, SYSTEM, call.call_id, REQUEST)
    links.logged(call, ENV, phone_call_id(call), "Call to 0912", held=False)
    assert [q.item.entity_set for q in outbox.pending(ENV)] == ["phonecalls", "comms_clicktocalls"]
    assert links_written(outbox)[0]["comms_status"] == 2


def test_other_calls_other_environments_and_a_missing_call_id_link_nothing(outbox: Outbox) -> None:
    links = ClickToCallLinks(outbox, kept=2)
    links.expect(ENV, SYSTEM, "", REQUEST)  # the PBX named no call
    links.expect(ENV, SYSTEM, "1714554000.5", REQUEST)
    links.logged(record("1714554000.9"), ENV, "x", "Call to 0912", held=False)
    links.logged(record(), "other-crm", "x", "Call to 0912", held=False)
    assert links_written(outbox) == [] and links.linked == 0
    for n in range(3):  # only the last ``kept`` expectations are remembered
        links.expect(ENV, SYSTEM, f"9.{n}", REQUEST)
    links.logged(record("9.0"), ENV, "x", "s", held=False)
    assert links.linked == 0
