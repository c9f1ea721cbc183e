"""Answer by click from the console (CALL-06): who may answer which ringing call, and the PBX's errors."""

from __future__ import annotations

import asyncio

import pytest

from bridge.console.commands import CommandDesk, CommandRefusedError
from bridge.console.live import LiveView
from bridge.console.visibility import Viewer
from connectors.errors import OutcomeUnknownError, RejectedError
from domain.calls.record import CallStatus

from .builders import AGENT_A, AGENT_B, SUPERVISOR, DialOnlyPort, FakePort, record, system, update

A, B, SUP = Viewer(AGENT_A), Viewer(AGENT_B), Viewer(SUPERVISOR, is_supervisor=True)


def desk(port, *records) -> CommandDesk:
    live = LiveView()
    live.set_systems([system()])
    for current in records or (record(ringing=("101",)),):
        live.on_call(update(current), system())
    return CommandDesk(port, live, timeout_s=1)


def test_the_extensions_own_user_answers_the_call_ringing_there():
    port = FakePort()
    message = asyncio.run(desk(port).answer(A, "pbx1:c1"))
    assert port.answers == [("pbx1", "101", "PJSIP/101")] and "101" in message


def test_a_call_ringing_at_several_extensions_is_answered_at_the_users_own():
    port = FakePort()
    asyncio.run(desk(port, record(ringing=("101", "102"))).answer(B, "pbx1:c1"))
    assert port.answers == [("pbx1", "102", "PJSIP/102")]


def test_a_supervisor_answers_at_any_ringing_extension():
    port = FakePort()
    calls = desk(port, record(ringing=("101", "102")))
    asyncio.run(calls.answer(SUP, "pbx1:c1", extension="102"))
    with pytest.raises(CommandRefusedError) as which:  # two ringing, none theirs: they must say which
        asyncio.run(calls.answer(SUP, "pbx1:c1"))
    assert which.value.status == 403 and port.answers == [("pbx1", "102", "PJSIP/102")]


@pytest.mark.parametrize(
    "viewer, current, extension, status",
    [
        (B, record(ringing=("101",)), "", 403),  # not ringing at their extension
        (B, record(ringing=("101",)), "101", 403),  # someone else's extension
        (A, record(ringing=("102",)), "101", 409),  # their extension, but the call rings elsewhere
        (SUP, record(ringing=("101",)), "103", 409),  # supervisor, extension not ringing
        (A, record(CallStatus.TALKING, ringing=(), extension="101"), "101", 409),  # already answered
        (Viewer("stranger"), record(ringing=("101",)), "", 403),
        (SUP, record(ringing=("600",)), "600", 409),  # a hidden extension (ring group) is never answered
    ],
)
def test_answer_refusals(viewer, current, extension, status):
    port = FakePort()
    with pytest.raises(CommandRefusedError) as refused:
        asyncio.run(desk(port, current).answer(viewer, "pbx1:c1", extension=extension))
    assert refused.value.status == status and port.answers == []


def test_ended_or_unknown_calls_cannot_be_answered():
    port = FakePort()
    ended = desk(port, record(), record(CallStatus.ENDED, revision=2, ringing=()))
    for key in ("pbx1:c1", "pbx1:nope", "other:c1", ""):
        with pytest.raises(CommandRefusedError) as gone:
            asyncio.run(ended.answer(A, key))
        assert gone.value.status == 404
    assert port.answers == []


def test_a_port_without_answer_says_so_and_hides_the_button():
    calls = desk(DialOnlyPort())
    assert not calls.can_answer and desk(FakePort()).can_answer
    with pytest.raises(CommandRefusedError) as refused:
        asyncio.run(calls.answer(A, "pbx1:c1"))
    assert refused.value.status == 404


@pytest.mark.parametrize(
    "error, status, words",
    [
        (
            RejectedError(
                "cannot answer IAX2/101", reason="IAX2 phones cannot be answered from the CRM", system="pbx1"
            ),
            422,
            "cannot answer",
        ),
        (OutcomeUnknownError("reset", system="pbx1"), 504, "check your phone"),
    ],
)
def test_pbx_errors_become_plain_answers(error, status, words):
    with pytest.raises(CommandRefusedError) as refused:
        asyncio.run(desk(FakePort(error)).answer(A, "pbx1:c1"))
    assert refused.value.status == status and words in refused.value.message
