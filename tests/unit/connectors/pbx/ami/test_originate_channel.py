"""The click-to-call Originate with a full device channel from the CRM: accepted verbatim or refused outright
(CALL-29)."""

from __future__ import annotations

import pytest

from connectors.errors import RejectedError
from connectors.pbx.ami.commands import device_channel, originate_fields
from domain.calls.device_channel import MAX_DEVICE_LENGTH


def fields(**overrides) -> dict:
    options = {
        "technology": "PJSIP",
        "extension": "201",
        "number": "09121234567",
        "context": "from-internal",
        "caller_id": None,
        "variables": None,
        "timeout_s": 30,
        "action_id": "c2c-1",
        **overrides,
    }
    return originate_fields(**options)


@pytest.mark.parametrize(
    "channel",
    [
        "PJSIP/201",
        "SIP/201",
        "SIP/trunk/201",
        "Local/201@from-internal",
        "Local/201@from-internal/n",
        "IAX2/office-b/201",
        "DAHDI/g1/201",
        "PJSIP/agent.sara+1",
    ],
)
def test_a_named_device_is_rung_verbatim(channel: str) -> None:
    sent = fields(channel=channel)
    assert sent["Channel"] == channel and sent["Exten"] == "09121234567" and sent["Context"] == "from-internal"


def test_without_a_channel_the_device_is_technology_and_extension() -> None:
    assert fields(technology="SIP")["Channel"] == "SIP/201"


HOSTILE = [
    "PJSIP/201\r\nAction: Command",
    "PJSIP/201\r\n\r\nAction: Command\r\nCommand: core stop now",
    "PJSIP/201\n",
    "PJSIP/201\r",
    "\nPJSIP/201",
    "PJSIP/201\x00",
    "PJSIP/201\t",
    "PJSIP/201 ",
    " PJSIP/201",
    "PJSIP/201&PJSIP/202",
    "PJSIP/201,tT",
    "PJSIP/201;1",
    "Local/201@from-internal|x",
    "PJSIP/20'1",
    'PJSIP/"201"',
    "PJSIP/۲۰۱",
    "PJSIP/２０１",
    "",
    "PJSIP",
    "/201",
    "PJSIP/",
    "PJSIP//201",
    "PJSIP/201/",
    "1PJSIP/201",
    "PJ-SIP/201",
    "PJSIP/-201",
    "ABCDEFGHIJKLMNOPQ/201",
    "PJSIP/" + "2" * MAX_DEVICE_LENGTH,
    "PJSIP/201\u2028Action: Command",
    "PJSIP/${SHELL(id)}",
    "PJSIP/201)(",
]


@pytest.mark.parametrize("channel", HOSTILE)
def test_a_hostile_or_malformed_channel_is_refused_with_a_reason(channel: str) -> None:
    with pytest.raises(RejectedError) as caught:
        fields(channel=channel)
    assert caught.value.code == "invalid-input" and "invalid channel" in caught.value.reason


@pytest.mark.parametrize("channel", [201, b"PJSIP/201", ["PJSIP/201"]])
def test_a_channel_that_is_not_text_is_refused(channel: object) -> None:
    with pytest.raises(RejectedError):
        device_channel(channel)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "overrides",
    [
        {"extension": "201\n"},
        {"number": "09121234567\n"},
        {"context": "from-internal\n"},
        {"technology": "PJSIP\r\nAction: Command"},
        {"variables": {"X\n": "1"}},
    ],
)
def test_a_trailing_newline_or_injection_anywhere_is_refused(overrides: dict) -> None:
    with pytest.raises(RejectedError):
        fields(**overrides)
