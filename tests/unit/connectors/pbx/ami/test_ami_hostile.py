"""Hostile AMI input (CALL-21): any bytes frame and parse into messages or ``BadFrame``s; any header value in a
recorded event is translated or refused with the errors the connector quarantines; a CRM value with a line break
never reaches the wire as a second header.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import RejectedError
from connectors.pbx.ami import AmiSettings, Dialect, make_translator
from connectors.pbx.ami.classify import parse_cause
from connectors.pbx.ami.commands import answer_fields, originate_fields, spy_fields
from connectors.pbx.ami.framing import AmiFramer
from connectors.pbx.ami.message import AmiMessage, BadFrame, Banner, parse_frame
from connectors.pbx.ami.session import _refuse_line_breaks

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "ami"
RECEIVED = datetime(2024, 4, 25, 8, 0, tzinfo=UTC)
#: What the connector catches around ``translate`` and keeps as a BadFrame (connectors/pbx/ami/connector.py).
QUARANTINED = (ValueError, KeyError, TypeError)
HOSTILE_VALUES = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["", "-1", "-99999999999999999999", "9" * 5000, "1e999", "nan", "\u202e101", "\x00", "\ufffd",
         "PJSIP/", "/", "Local/@", "SIP/101-", ";2", "1714554000.", ".5", "-1714554000.42"]
    ),
)  # fmt: skip


def _recorded(dialect: str, scenario: str) -> list[AmiMessage]:
    framer = AmiFramer(expect_banner=False)
    path = next((FIXTURES / dialect).glob(f"{scenario}.*"))
    return [m for m in (parse_frame(f) for f in framer.feed(path.read_bytes())) if isinstance(m, AmiMessage)]


SCENARIOS = [("modern", "inbound_answered"), ("modern", "transfer"), ("legacy", "inbound_answered")]
RECORDED = {scenario: _recorded(*scenario) for scenario in SCENARIOS}


@FAST
@given(data=st.binary(max_size=400), cuts=st.lists(st.integers(0, 400), max_size=4))
def test_any_bytes_frame_into_messages_banners_or_bad_frames(data: bytes, cuts: list[int]) -> None:
    framer, start, frames = AmiFramer(max_frame_bytes=256), 0, []
    for cut in (*sorted(c for c in cuts if c <= len(data)), len(data)):
        frames += framer.feed(data[start:cut])
        start = cut
    for frame in frames:
        parsed = parse_frame(frame)
        assert isinstance(parsed, AmiMessage | Banner | BadFrame)
        assert parsed.raw == frame
    assert framer.pending_bytes <= 256 + len(data)


@FAST
@given(
    scenario=st.sampled_from(SCENARIOS), index=st.integers(0, 200), key_pick=st.integers(0, 40), value=HOSTILE_VALUES
)
def test_a_hostile_value_in_a_recorded_event_is_translated_or_quarantined(
    scenario: tuple[str, str], index: int, key_pick: int, value: str
) -> None:
    dialect, _ = scenario
    messages = RECORDED[scenario]
    settings_ = AmiSettings(system="pbx1", host="pbx", username="crm", secret="x", dialect=Dialect(dialect))
    translator = make_translator(settings_, modern=dialect == "modern")
    target = messages[index % len(messages)]
    keys = [name for name, _ in target.headers if name.lower() != "event"] or ["Uniqueid"]
    key = keys[key_pick % len(keys)]
    hostile = AmiMessage(
        target.kind, tuple((n, value if n == key else v) for n, v in target.headers), target.raw, target.body
    )
    for message in messages:
        try:
            events = translator.translate(hostile if message is target else message, RECEIVED)
        except QUARANTINED:
            continue
        assert isinstance(events, list)


CRM_TEXT = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["201\r\nAction: Command", "Ann\nCommand: core stop now", "0912\r", "x\x00y", "\u2028", "a,b"]),
)


@FAST
@given(extension=CRM_TEXT, number=CRM_TEXT, context=CRM_TEXT, caller_id=CRM_TEXT, channel=CRM_TEXT, value=CRM_TEXT)
def test_crm_values_reach_an_originate_as_single_lines_or_are_refused(
    extension: str, number: str, context: str, caller_id: str, channel: str, value: str
) -> None:
    try:
        fields = originate_fields(
            technology="PJSIP",
            extension=extension,
            number=number,
            context=context,
            caller_id=caller_id,
            variables={"COMMS_LINE": value},
            timeout_s=30,
            action_id="c2c-1",
            channel=channel,
        )
        _refuse_line_breaks(fields, "pbx1")
    except RejectedError:
        return
    for field_value in fields.values():
        for line in [field_value] if isinstance(field_value, str) else field_value:
            assert "\r" not in line and "\n" not in line


@pytest.mark.parametrize("device", ["PJSIP/201\r\nAction: Hangup", "SIP/201\nChannel: x", "PJSIP/2 01"])
def test_an_answer_or_spy_of_a_device_with_line_breaks_is_refused(device: str) -> None:
    with pytest.raises(RejectedError):
        answer_fields(device=device, action_id="a-1")
    with pytest.raises(RejectedError):
        spy_fields(technology="PJSIP", supervisor_extension="101", target_channel=device, whisper=False, action_id="a")


def test_the_session_refuses_a_line_break_in_any_value_before_writing() -> None:
    for fields in ({"Action": "Originate", "CallerID": '"A\r\nB" <1>'}, {"Action": "X", "Variable": ["a=1", "b=\n"]}):
        with pytest.raises(RejectedError) as caught:
            _refuse_line_breaks(fields, "pbx1")
        assert caught.value.code == "line-break"


@pytest.mark.parametrize("version", ["².1", "\u0662.1", "99999999999999999999.1", "", "x"])
def test_a_banner_whose_version_is_not_ascii_digits_is_not_modern(version: str) -> None:
    banner = parse_frame(f"Asterisk Call Manager/{version}".encode())
    assert isinstance(banner, Banner)
    assert banner.is_modern is (version == "99999999999999999999.1")


@pytest.mark.parametrize("value", ["²", "¹6", "\u0661\u0666", "9" * 5000, "-1", ""])
def test_a_hangup_cause_not_in_ascii_digits_is_no_cause(value: str) -> None:
    assert parse_cause(value) is None
