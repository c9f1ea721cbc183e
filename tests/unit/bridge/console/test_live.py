"""LiveView: live state, history, extension states, per-browser fan-out, visibility and pop-up reasons."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from bridge.console.live import LiveView, TooManySubscribersError, index_matcher
from bridge.console.visibility import Viewer
from domain.calls.events import CallEvent, EventKind, ExtensionState
from domain.calls.record import CallStatus
from domain.calls.system_settings import CallVisibility
from domain.number_index import IndexedTable, NumberIndex
from domain.numbers import NumberPlan

from .builders import AGENT_A, AGENT_B, CONTACT, ORG, SUPERVISOR, T0, contact_match, record, system, update

A, B, SUP = Viewer(AGENT_A, "Sara"), Viewer(AGENT_B, "Reza"), Viewer(SUPERVISOR, "Mina", True)


def drain(subscriber) -> list:
    found = []
    while not subscriber.queue.empty():
        found.append(subscriber.queue.get_nowait())
    return found


def calls_in(messages) -> list:
    return [(m[1]["key"], m[1]["status"], m[2]) for m in messages if m[0] == "call"]


def live(**kw) -> LiveView:
    return LiveView(org_url=ORG, matcher=lambda r, s: contact_match(), user_names={AGENT_A: "Sara"}, **kw)


def test_ringing_call_pops_up_only_for_the_ringing_extensions_user():
    view = live()
    sub_a, sub_b = view.subscribe(A), view.subscribe(B)
    drain(sub_a), drain(sub_b)
    view.on_call(update(record()), system())
    assert calls_in(drain(sub_a)) == [("pbx1:c1", "ringing", "ringing")]
    assert calls_in(drain(sub_b)) == [("pbx1:c1", "ringing", None)]


def test_pop_up_payload_carries_the_match_and_a_dynamics_link():
    view = live()
    sub = view.subscribe(A)
    drain(sub)
    view.on_call(update(record()), system())
    payload = next(m[1] for m in drain(sub) if m[0] == "call")
    assert payload["number"] == "+989121234567"
    assert payload["caller"]["id"] == CONTACT and payload["caller"]["owner_id"] == AGENT_B
    assert payload["caller"]["url"] == f"{ORG}/main.aspx?etn=contact&id={CONTACT}&pagetype=entityrecord"
    assert payload["create_url"] is None


def test_unmatched_call_offers_a_prefilled_new_contact():
    view = LiveView(org_url=ORG)
    sub = view.subscribe(A)
    drain(sub)
    view.on_call(update(record()), system())
    payload = next(m[1] for m in drain(sub) if m[0] == "call")
    assert payload["caller"] is None
    assert (
        payload["create_url"]
        == f"{ORG}/main.aspx?etn=contact&pagetype=entityrecord&extraqs=telephone1%3D%2B989121234567"
    )


def test_queued_callers_pop_up_for_everyone_who_sees_them():
    view = live()
    subs = [view.subscribe(v) for v in (A, B, SUP)]
    for s in subs:
        drain(s)
    for n in range(3):
        view.on_call(update(record(CallStatus.QUEUED, call_id=f"q{n}", ringing=(), queue="sales")), system())
    for s in subs:
        assert [c[2] for c in calls_in(drain(s))] == ["queued"] * 3


def test_smdr_call_seen_first_at_hang_up_pops_up_then():
    view = live()
    sub = view.subscribe(A)
    drain(sub)
    view.on_call(update(record(CallStatus.ENDED, ringing=(), extension="101", answered=True)), system())
    assert calls_in(drain(sub)) == [("pbx1:c1", "ended", "ended")]
    assert view.snapshot(A)["history"][0]["talk_seconds"] == 42


def test_call_moves_from_live_to_history_and_stale_revisions_are_ignored():
    view = live()
    ringing = record()
    talking = record(CallStatus.TALKING, revision=2, ringing=(), extension="101")
    ended = record(CallStatus.ENDED, revision=3, ringing=(), extension="101", answered=True)
    view.on_call(update(ringing), system())
    view.on_call(update(talking, ringing), system())
    assert [c["status"] for c in view.snapshot(A)["calls"]] == ["talking"]
    view.on_call(update(ended, talking), system())
    view.on_call(update(talking, ringing), system())  # a late, older revision
    snap = view.snapshot(A)
    assert snap["calls"] == [] and [c["status"] for c in snap["history"]] == ["ended"]


def test_history_is_bounded_and_newest_first():
    view = live(history_size=3)
    for n in range(5):
        view.on_call(update(record(CallStatus.ENDED, call_id=f"h{n}", extension="101")), system())
    assert [c["call_id"] for c in view.snapshot(A)["history"]] == ["h4", "h3", "h2"]


def test_own_extension_visibility_hides_other_peoples_calls_but_not_from_supervisors():
    view = live()
    subs = {v.user_id: view.subscribe(v) for v in (A, B, SUP)}
    for s in subs.values():
        drain(s)
    view.on_call(update(record(ringing=("102",))), system(CallVisibility.OWN_EXTENSION))
    assert calls_in(drain(subs[AGENT_A])) == []
    assert calls_in(drain(subs[AGENT_B]))[0][2] == "ringing"
    assert len(calls_in(drain(subs[SUPERVISOR]))) == 1


def test_record_owner_visibility_shows_the_owner_calls_on_other_extensions():
    view = LiveView(matcher=lambda r, s: contact_match(owner=AGENT_A))
    sub = view.subscribe(A)
    drain(sub)
    view.on_call(update(record(ringing=("102",))), system(CallVisibility.RECORD_OWNER))
    assert calls_in(drain(sub)) == [("pbx1:c1", "ringing", None)]
    assert view.may_read_record(A, "contact", CONTACT)
    assert not view.may_read_record(A, "contact", "c0ffee00-0000-4000-8000-000000000999")


def test_extension_states_are_filtered_and_show_the_call_partner():
    view = live()
    sub_a, sub_sup = view.subscribe(A), view.subscribe(SUP)
    drain(sub_a), drain(sub_sup)
    pbx = system(CallVisibility.OWN_EXTENSION)
    event = CallEvent(EventKind.STATE, "pbx1", "", T0, extension="102", extension_state=ExtensionState.TALKING)
    view.on_state(event, pbx)
    view.on_state(replace(event, extension="600"), pbx)  # hidden extension: never shown
    assert [m for m in drain(sub_a) if m[0] == "extension"] == []
    shown = [m[1] for m in drain(sub_sup) if m[0] == "extension"]
    assert [(x["extension"], x["state"]) for x in shown] == [("102", "talking")]
    view.on_call(update(record(CallStatus.TALKING, ringing=(), extension="102", name="Ali")), pbx)
    tile = next(x for x in view.snapshot(SUP)["extensions"] if x["extension"] == "102")
    assert tile["with_name"] == "Ali" and tile["with_number"] == "+989121234567"
    assert [x["extension"] for x in view.snapshot(A)["extensions"]] == ["101"]


def test_extension_state_is_derived_from_calls_when_the_pbx_sends_none():
    view = live()
    view.set_systems([system()])
    view.on_call(update(record(ringing=("101", "102"))), system())
    states = {x["extension"]: x["state"] for x in view.snapshot(SUP)["extensions"]}
    assert states == {"101": "ringing", "102": "ringing", "103": "unknown", "200": "unknown"}


def test_a_slow_browser_is_dropped_not_waited_on():
    view = live(queue_size=8)
    slow, fast = view.subscribe(A), view.subscribe(SUP)
    for n in range(20):
        view.on_call(update(record(call_id=f"s{n}")), system())
        drain(fast)
    assert slow.dropped and view.subscriber_count == 1 and view.dropped_subscribers == 1
    view.unsubscribe(fast)
    assert view.subscriber_count == 0


def test_subscriber_cap():
    view = live(max_subscribers=2)
    view.subscribe(A), view.subscribe(B)
    with pytest.raises(TooManySubscribersError):
        view.subscribe(SUP)


def test_a_failing_matcher_leaves_the_call_unmatched_and_logs(caplog):
    def broken(record, system):
        raise RuntimeError("index corrupted")

    view = LiveView(org_url=ORG, matcher=broken)
    view.on_call(update(record()), system())
    assert view.snapshot(A)["calls"][0]["caller"] is None
    assert "caller match failed" in caplog.text


def test_index_matcher_prefers_the_ringing_users_record():
    index = NumberIndex([IndexedTable("contact", ("mobilephone",))], NumberPlan())
    for n, owner in enumerate((AGENT_B, AGENT_A)):
        index.upsert(
            "contact",
            f"c0ffee00-0000-4000-8000-00000000000{n}",
            {"mobilephone": "0912 123 4567"},
            owner_id=owner,
            modified_on=T0 + timedelta(days=n),
        )
    match = index_matcher({"pbx1": index}.get)
    assert match(record(ringing=("102",)), system()).best.owner_id == AGENT_B
    assert match(record(number="garbage"), system()).best is None
    assert match(record(system_key="other"), replace(system(), key="other")).best is None


def test_each_call_is_matched_once_however_many_browsers_listen():
    # The ring-to-pop-up time with many browsers is a figure of bench/telephony.py; what keeps it flat is
    # that a call's match and view are worked out once, not once per browser.
    looked_up = []

    def counting_matcher(record, system):
        looked_up.append(record.call_id)
        return contact_match()

    view = LiveView(org_url=ORG, matcher=counting_matcher, user_names={AGENT_A: "Sara"}, max_subscribers=200)
    subs = [view.subscribe(Viewer(f"user-{n}")) for n in range(100)]
    pbx = system(CallVisibility.OWN_EXTENSION)
    for n in range(50):
        view.on_call(update(record(call_id=f"p{n}", revision=1)), pbx)
        view.on_call(update(record(call_id=f"p{n}", revision=2)), pbx)
    assert looked_up == [f"p{n}" for n in range(50)]
    assert len(subs) == 100
