"""The phone-call form opens for the agent when a call connects at their extension (CALL-36)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bridge.calls.logger import phone_call_id
from bridge.console.live import LiveView
from bridge.console.visibility import Viewer
from domain.calls.events import Direction
from domain.calls.record import CallStatus
from domain.calls.system_settings import CallVisibility

from .builders import AGENT_A, AGENT_B, ORG, record, system, update

A, B = Viewer(AGENT_A, "Sara"), Viewer(AGENT_B, "Reza")
CONSOLE = Path(__file__).resolve().parents[4] / "bridge" / "console"


def drain(subscriber) -> list:
    found = []
    while not subscriber.queue.empty():
        found.append(subscriber.queue.get_nowait())
    return found


def forms(messages) -> list:
    return [m[1] for m in messages if m[0] == "open_form"]


def _answered(view: LiveView, *, direction: Direction = Direction.INBOUND, number: str = "09121234567") -> None:
    ringing = record(number=number)
    talking = record(CallStatus.TALKING, revision=2, extension="101", ringing=(), number=number)
    if direction is Direction.OUTBOUND:
        ringing, talking = replace(ringing, direction=direction), replace(talking, direction=direction)
    view.on_call(update(ringing), system(CallVisibility.EVERYONE))
    view.on_call(update(talking, ringing), system(CallVisibility.EVERYONE))


@pytest.mark.parametrize("direction", [Direction.INBOUND, Direction.OUTBOUND])
def test_the_agent_who_answers_gets_the_phone_call_form_in_and_out(direction: Direction) -> None:
    view = LiveView(org_url=ORG, open_form_on_answer=True)
    sub_a, sub_b = view.subscribe(A), view.subscribe(B)
    drain(sub_a), drain(sub_b)
    _answered(view, direction=direction)
    (form,) = forms(drain(sub_a))
    expected_id = phone_call_id(record())
    assert form == {
        "key": "pbx1:c1",
        "table": "phonecall",
        "id": expected_id,
        "url": f"{ORG}/main.aspx?etn=phonecall&id={expected_id}&pagetype=entityrecord",
    }
    assert forms(drain(sub_b)) == []  # B sees the call (everyone) but did not take it


def test_off_by_default_and_never_for_a_call_that_is_not_logged() -> None:
    view = LiveView(org_url=ORG)
    sub = view.subscribe(A)
    drain(sub)
    _answered(view)
    assert forms(drain(sub)) == []
    view = LiveView(org_url=ORG, open_form_on_answer=True)
    sub = view.subscribe(A)
    drain(sub)
    _answered(view, number="102")  # an internal call: no phone-call row to open
    assert forms(drain(sub)) == []


def test_the_call_view_names_its_phone_call_before_dataverse_has_it() -> None:
    view = LiveView(org_url=ORG)
    sub = view.subscribe(A)
    drain(sub)
    view.on_call(update(record()), system())
    payload = next(m[1] for m in drain(sub) if m[0] == "call")
    assert payload["phone_call"]["id"] == phone_call_id(record())


SCRIPT = r"""
const vm = require("node:vm");
const fs = require("node:fs");
const handlers = {};
const opened = [];
const window = {
  addEventListener: (name, fn) => { (handlers[name] = handlers[name] || []).push(fn); },
  CommSuite: { needsSignIn: () => false },
  Microsoft: { CIFramework: {
    setClickToAct: () => Promise.resolve(), addHandler: () => {}, getEnvironment: () => Promise.resolve("{}"),
    openForm: (json) => { opened.push(JSON.parse(json)); return Promise.resolve(); },
  } },
};
const document = { documentElement: { classList: { add: () => {} } }, addEventListener: () => {} };
vm.runInNewContext(fs.readFileSync(process.argv[1], "utf8"), { window, document, Promise, JSON, String });
handlers["commsuite:openform"][0]({ detail: { table: "phonecall", id: "x-1" } });  // before CIF is ready
handlers["CIFInitDone"][0]();
handlers["commsuite:openform"][0]({ detail: { table: "phonecall", id: "x-2" } });
handlers["commsuite:openform"][0]({ detail: {} });
process.stdout.write(JSON.stringify(opened));
"""


def test_the_cif_widget_opens_the_form_with_xrm_once_ready() -> None:
    assert shutil.which("node"), "node (v18 or newer) runs the widget script's test"
    result = subprocess.run(
        ["node", "-e", SCRIPT, str(CONSOLE / "cif.js")], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == '[{"entityName":"phonecall","entityId":"x-2"}]'
