"""Originate / ChanSpy / Command builders and reply readers, and the reconnect backoff."""

from __future__ import annotations

import random

import pytest

from connectors.errors import RejectedError
from connectors.pbx.ami.commands import command_output, originate_fields, originate_outcome, spy_fields
from connectors.pbx.ami.message import AmiMessage, parse_frame
from connectors.pbx.transport import Backoff


def _msg(raw: bytes) -> AmiMessage:
    message = parse_frame(raw)
    assert isinstance(message, AmiMessage)
    return message


def test_originate_fields_for_click_to_call() -> None:
    fields = originate_fields(
        technology="SIP",
        extension="101",
        number="09121234567",
        context="from-internal",
        caller_id='"CRM" <101>',
        variables={"CRM_CALL_ID": "g-1"},
        timeout_s=25,
        action_id="req-1",
    )
    assert fields["Channel"] == "SIP/101" and fields["Exten"] == "09121234567" and fields["Timeout"] == "25000"
    assert fields["Async"] == "true" and fields["Variable"] == ["COMMS_REQUEST_ID=req-1", "CRM_CALL_ID=g-1"]


@pytest.mark.parametrize(
    "extension, number, variables",
    [
        ("101", "0912 123", None),
        ("10/1", "0912", None),
        ("101", "0912", {"BAD-NAME": "x"}),
        ("", "0912", None),
    ],
)
def test_originate_refuses_bad_input(extension: str, number: str, variables: dict | None) -> None:
    with pytest.raises(RejectedError):
        originate_fields(
            technology="PJSIP",
            extension=extension,
            number=number,
            context="from-internal",
            caller_id=None,
            variables=variables,
            timeout_s=30,
            action_id="r",
        )


@pytest.mark.parametrize(
    "target, data",
    [
        ("PJSIP/101", "PJSIP/101-,qEb"),
        ("SIP/101-0000001a", "SIP/101-0000001a,qEb"),
    ],
)
def test_spy_targets_one_channel_not_a_prefix(target: str, data: str) -> None:
    fields = spy_fields(
        technology="PJSIP", supervisor_extension="200", target_channel=target, whisper=False, action_id="s"
    )
    assert fields["Data"] == data and fields["Application"] == "ChanSpy" and fields["Channel"] == "PJSIP/200"


@pytest.mark.parametrize("reason, words", [("3", "nobody answered"), ("5", "busy"), ("77", "reason 77")])
def test_failed_originate_response_is_rejected_with_plain_words(reason: str, words: str) -> None:
    replies = [
        _msg(b"Response: Success\r\nMessage: Originate successfully queued"),
        _msg(b"Event: OriginateResponse\r\nResponse: Failure\r\nReason: " + reason.encode()),
    ]
    with pytest.raises(RejectedError) as caught:
        originate_outcome(replies, action_id="r", system="pbx1")
    assert words in caught.value.reason and caught.value.key == "r"


def test_permission_denied_points_at_the_setup_docs() -> None:
    with pytest.raises(RejectedError) as caught:
        originate_outcome(_msg(b"Response: Error\r\nMessage: Permission denied"), action_id="r", system="p")
    assert "docs/asterisk.md" in caught.value.reason


def test_command_output_in_both_formats() -> None:
    modern = _msg(b"Response: Success\r\nMessage: Command output follows\r\nOutput: a\r\nOutput: b")
    legacy = _msg(b"Response: Follows\r\nPrivilege: Command\r\na\nb\n--END COMMAND--")
    assert command_output(modern, command="x", system="p").lines == ("a", "b")
    assert command_output(legacy, command="x", system="p").lines == ("a", "b")
    with pytest.raises(RejectedError):
        command_output(_msg(b"Response: Error\r\nMessage: Permission denied"), command="x", system="p")


def test_backoff_grows_with_full_jitter_is_capped_and_resets() -> None:
    backoff = Backoff(1.0, 60.0, random.Random(3))
    delays = [backoff.next_delay_s() for _ in range(12)]
    assert all(1.0 <= d <= 60.0 for d in delays)
    assert delays[0] == 1.0 and max(delays[6:]) > 8.0
    backoff.reset()
    assert backoff.next_delay_s() == 1.0
