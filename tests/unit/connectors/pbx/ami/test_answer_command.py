"""Answer by click (CALL-06): the NOTIFY builder, its strict checks, its reply reader, and report-only links."""

from __future__ import annotations

import asyncio

import pytest

from connectors.errors import BadReplyError, RejectedError
from connectors.pbx.ami.commands import answer_fields, answer_outcome
from connectors.pbx.ami.message import AmiMessage, parse_frame
from connectors.pbx.base import ReportOnlyCommands


def _msg(raw: bytes) -> AmiMessage:
    message = parse_frame(raw)
    assert isinstance(message, AmiMessage)
    return message


@pytest.mark.parametrize(
    "device, expected",
    [
        ("PJSIP/201", {"Action": "PJSIPNotify", "Endpoint": "201", "Variable": "Event=talk"}),
        ("pjsip/sara.desk", {"Action": "PJSIPNotify", "Endpoint": "sara.desk", "Variable": "Event=talk"}),
        ("SIP/201", {"Action": "SIPnotify", "Channel": "SIP/201", "Variable": "Event=talk"}),
    ],
)
def test_answer_fields_tell_the_sip_phone_to_pick_up(device: str, expected: dict) -> None:
    assert answer_fields(device=device, action_id="ans-1") == expected


@pytest.mark.parametrize("device", ["IAX2/201", "DAHDI/1", "Local/201@from-internal", "Skinny/201"])
def test_devices_that_cannot_be_told_to_pick_up_are_refused_in_plain_words(device: str) -> None:
    with pytest.raises(RejectedError) as refused:
        answer_fields(device=device, action_id="ans-1")
    assert refused.value.code == "unsupported" and refused.value.key == "ans-1"
    assert device.split("/")[0] in refused.value.reason and "only SIP phones" in refused.value.reason


@pytest.mark.parametrize(
    "device",
    [
        "PJSIP/201\r\nAction: Originate",
        "PJSIP/201,SIP/202",
        "SIP/trunk/201",
        "PJSIP/201@other",
        "PJSIP/",
        "201",
        "",
        "PJSIP/" + "1" * 100,
        "PJSIP/20 1",
        "PJSIP/-201",
        "PJSIP/201;x",
        None,
        201,
    ],
)
def test_hostile_or_malformed_devices_are_refused_before_sending(device: object) -> None:
    with pytest.raises(RejectedError) as refused:
        answer_fields(device=device, action_id="ans-1")  # type: ignore[arg-type]
    assert refused.value.code == "invalid-input"


def test_success_reply_is_accepted() -> None:
    reply = _msg(b"Response: Success\r\nActionID: ans-1\r\nMessage: NOTIFY sent\r\n\r\n")
    assert answer_outcome(reply, action_id="ans-1", system="pbx1") is None
    assert answer_outcome([reply], action_id="ans-1", system="pbx1") is None


@pytest.mark.parametrize(
    "message, plain",
    [
        ("Unable to retrieve endpoint 299", "does not know this phone"),
        ("Could not create address", "does not know this phone"),
        ("Permission denied", "write = system"),
        (
            "Invalid/unknown command: PJSIPNotify. Use Action: ListCommands to show available commands.",
            "res_pjsip_notify or chan_sip is not loaded",
        ),
        ("SIPNotify requires variables", "SIPNotify requires variables"),
    ],
)
def test_error_replies_become_plain_refusals(message: str, plain: str) -> None:
    reply = _msg(f"Response: Error\r\nActionID: ans-1\r\nMessage: {message}\r\n\r\n".encode())
    with pytest.raises(RejectedError) as refused:
        answer_outcome(reply, action_id="ans-1", system="pbx1")
    assert plain in refused.value.reason and refused.value.code == message
    assert refused.value.operation == "answer" and refused.value.key == "ans-1"


def test_an_empty_reply_is_a_bad_reply() -> None:
    with pytest.raises(BadReplyError):
        answer_outcome([], action_id="ans-1", system="pbx1")


class _Smdr(ReportOnlyCommands):
    system = "pana1"
    unsupported_message = "SMDR only reports calls"
    unsupported_reason = "not supported over SMDR"


def test_report_only_links_say_they_cannot_answer() -> None:
    with pytest.raises(RejectedError) as refused:
        asyncio.run(_Smdr().answer("101", action_id="ans-1"))
    assert refused.value.code == "unsupported" and refused.value.operation == "answer"
    assert refused.value.reason.startswith("not supported over SMDR") and "Asterisk AMI" in refused.value.reason
