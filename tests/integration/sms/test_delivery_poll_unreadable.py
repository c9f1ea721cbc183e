"""One unreadable status reply in a poll batch costs that message, not the account's poll (SMS-20).

Kavenegar answers ``sms/status`` for a comma-separated batch of message ids in one
reply (https://kavenegar.com/rest.html#sms-status); an entry it garbles makes the
whole reply unreadable. The tracker sets the message apart, writes the error on
its attempt, keeps polling the others, asks the bad one again after a doubling
wait and gives it up after the delivery window. A described panel (IPPanel Edge,
one status call per id) shows the isolation by the id the error names.
"""

from __future__ import annotations

import json
from collections import Counter
from urllib.parse import parse_qs

import pytest
import responses

from connectors.dataverse import DataverseClient
from services.factory import SmsServices
from services.sms.delivery import POLL_WINDOW
from services.sms.rows import SmsStatus

from .conftest import KAVENEGAR, Clock, add_contact, add_provider, add_sms, attempts, kavenegar_reply, sms
from .test_configurable_panel import EDGE, TOKEN, add_panel, edge_reply

POISON = "85463302"
MOBILES = ("09121234567", "09351234567", "09191234567")


class Kavenegar:
    """Kavenegar's send and status calls: ids from 85463301 up, every status *delivered* except the poisoned
    message, whose entry carries a status that is not a number."""

    def __init__(self, wire: responses.RequestsMock) -> None:
        self.next_id = 85463301
        self.asked: list[list[str]] = []
        wire.add_callback(responses.POST, f"{KAVENEGAR}/sms/send.json", callback=self.send)
        wire.add_callback(responses.POST, f"{KAVENEGAR}/sms/status.json", callback=self.status)

    def send(self, request) -> tuple[int, dict, str]:
        form = parse_qs(request.body)
        entry = {
            "messageid": self.next_id,
            "message": form["message"][0],
            "status": 1,
            "statustext": "در صف ارسال",
            "sender": form.get("sender", ["10004346"])[0],
            "receptor": form["receptor"][0],
            "date": 1356619709,
            "cost": 120,
        }
        self.next_id += 1
        return 200, {}, json.dumps(kavenegar_reply([entry]))

    def status(self, request) -> tuple[int, dict, str]:
        ids = parse_qs(request.body)["messageid"][0].split(",")
        self.asked.append(ids)
        entries = [
            {"messageid": int(i), "status": "garbled" if i == POISON else 10, "statustext": "رسیده به گیرنده"}
            for i in ids
        ]
        return 200, {}, json.dumps(kavenegar_reply(entries))

    def times_asked(self) -> Counter:
        return Counter(i for call in self.asked for i in call)


def send_three(client: DataverseClient, runtime: SmsServices) -> list[str]:
    ids = [add_sms(client, add_contact(client, mobile=m)) for m in MOBILES]
    for sms_id in ids:
        runtime.sender.send(sms_id)
    return ids


@pytest.fixture
def kavenegar(wire: responses.RequestsMock) -> Kavenegar:
    return Kavenegar(wire)


def test_the_others_in_the_batch_are_delivered_and_the_error_goes_on_the_unreadable_message(
    client: DataverseClient, runtime: SmsServices, kavenegar: Kavenegar, clock: Clock
) -> None:
    add_provider(client, comms_pollintervalseconds=60)
    first, poisoned, third = send_three(client, runtime)
    clock.advance(61)

    summary = runtime.tracker.poll()

    assert (summary.unreadable, summary.given_up, summary.failed_accounts) == (1, 0, ())
    assert summary.applied == 2
    assert [sms(client, i)["comms_smsstatus"] for i in (first, poisoned, third)] == [
        SmsStatus.DELIVERED.value_code,
        SmsStatus.QUEUED.value_code,
        SmsStatus.DELIVERED.value_code,
    ]
    (attempt,) = attempts(client, poisoned)
    assert attempt["comms_statusbadreplies"] == 1
    assert "the status reply could not be read (1 in a row)" in attempt["comms_error"]
    assert attempt["comms_statusretryon"]
    assert kavenegar.asked[0] == ["85463301", POISON, "85463303"]


def test_the_unreadable_message_waits_longer_each_time_and_is_given_up_after_the_window(
    client: DataverseClient, runtime: SmsServices, kavenegar: Kavenegar, clock: Clock
) -> None:
    add_provider(client, comms_pollintervalseconds=1800)
    _, poisoned, _ = send_three(client, runtime)
    asked_at: list[float] = []
    elapsed = 0.0
    given_up = 0
    while elapsed < POLL_WINDOW.total_seconds() + 3600:
        clock.advance(1801)
        elapsed += 1801
        before = kavenegar.times_asked()[POISON]
        given_up += runtime.tracker.poll().given_up
        if kavenegar.times_asked()[POISON] > before:
            asked_at.append(elapsed)

    gaps = [b - a for a, b in zip(asked_at, asked_at[1:], strict=False)]
    assert gaps == sorted(gaps) and gaps[0] < gaps[-1]  # the wait doubles (up to its cap)
    assert len(asked_at) < 15  # not asked at every one of the ~98 half-hourly polls
    assert given_up == 1
    assert asked_at[-1] < POLL_WINDOW.total_seconds()
    row = sms(client, poisoned)
    assert row["comms_smsstatus"] == SmsStatus.QUEUED.value_code  # not failed: its fate is unknown
    assert row["comms_error"].startswith("delivery status unknown")


def test_a_message_sent_after_the_poisoned_one_is_still_polled(
    client: DataverseClient, runtime: SmsServices, kavenegar: Kavenegar, clock: Clock
) -> None:
    add_provider(client, comms_pollintervalseconds=60)
    _, poisoned, _ = send_three(client, runtime)
    clock.advance(61)
    runtime.tracker.poll()

    later = add_sms(client, add_contact(client, mobile="09131234567"))
    runtime.sender.send(later)
    clock.advance(61)
    summary = runtime.tracker.poll()

    assert summary.failed_accounts == () and summary.unreadable == 0  # the poisoned one is waiting, not asked
    assert kavenegar.asked[-1] == ["85463304"]
    assert sms(client, later)["comms_smsstatus"] == SmsStatus.DELIVERED.value_code
    assert sms(client, poisoned)["comms_smsstatus"] == SmsStatus.QUEUED.value_code


def test_a_described_panels_reply_about_another_message_costs_only_that_message(
    client: DataverseClient, panel_runtime: SmsServices, wire: responses.RequestsMock, clock: Clock
) -> None:
    """Edge answers one status call per id; an unreadable reply is isolated by the id the error carries, so the
    batch costs one call more, not a halving."""
    add_panel(client)
    ids = iter(range(5550001, 5550004))
    wire.add_callback(
        responses.POST,
        f"{EDGE}/api/send",
        callback=lambda request: (200, {}, json.dumps(edge_reply("200-1", {"message_outbox_ids": [next(ids)]}))),
    )
    sms_ids = [add_sms(client, add_contact(client, mobile=m)) for m in MOBILES]
    for sms_id in sms_ids:
        panel_runtime.sender.send(sms_id)
    asked: list[str] = []

    def status(request) -> tuple[int, dict, str]:
        bulk_id = parse_qs(request.url.split("?", 1)[1])["bulk_id"][0]
        asked.append(bulk_id)
        if bulk_id == "5550002":
            return 200, {}, "<html>سرویس در دسترس نیست</html>"  # not JSON: unreadable
        row = {"recipient": "+989121234567", "message_status": "2"}
        return 200, {}, json.dumps(edge_reply("200-1", [row]))

    wire.add_callback(responses.GET, f"{EDGE}/api/report/recipients", callback=status)
    clock.advance(600)

    summary = panel_runtime.tracker.poll()

    assert (summary.unreadable, summary.failed_accounts) == (1, ())
    assert [sms(client, i)["comms_smsstatus"] for i in sms_ids] == [
        SmsStatus.DELIVERED.value_code,
        SmsStatus.QUEUED.value_code,
        SmsStatus.DELIVERED.value_code,
    ]
    assert asked == ["5550001", "5550002", "5550001", "5550003"]
    (attempt,) = attempts(client, sms_ids[1])
    assert attempt["comms_statusbadreplies"] == 1 and TOKEN not in attempt["comms_error"]
