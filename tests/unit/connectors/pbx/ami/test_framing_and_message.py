"""Framer and parser: any split of the byte stream gives the same frames; bad input is kept, not dropped."""

from __future__ import annotations

import pytest

from connectors.pbx.ami.framing import AmiFramer
from connectors.pbx.ami.message import AmiMessage, BadFrame, Banner, MessageKind, parse_frame

STREAM = (
    "Asterisk Call Manager/5.0.4\r\n"
    "Response: Success\r\nActionID: a1\r\nMessage: Authentication accepted\r\n\r\n"
    "Event: Newchannel\r\nChannel: PJSIP/provider-0000002a\r\nCallerIDName: رضا احمدی\r\nAccountCode: \r\n"
    "Uniqueid: 1714030000.200\r\n\r\n"
    "Event: VarSet\nVariable: FROM_DID\nValue: 02191002000\n\n"
    "Response: Follows\r\nPrivilege: Command\r\nActionID: c1\r\n"
    "Channel  Location\n\n0 active channels\n--END COMMAND--\r\n\r\n"
).encode()


def _frames(chunks: list[bytes]) -> list[bytes]:
    framer = AmiFramer()
    return [frame for chunk in chunks for frame in framer.feed(chunk)]


def test_whole_stream_gives_five_frames() -> None:
    parsed = [parse_frame(f) for f in _frames([STREAM])]
    assert isinstance(parsed[0], Banner) and parsed[0].version == "5.0.4" and parsed[0].is_modern
    assert [p.name for p in parsed[1:]] == ["Success", "Newchannel", "VarSet", "Follows"]
    assert parsed[2].get("callername") == "" and parsed[2].get("CallerIDName") == "رضا احمدی"
    assert parsed[4].body == ("Channel  Location", "", "0 active channels")


def test_every_split_offset_gives_the_same_frames() -> None:
    expected = _frames([STREAM])
    for offset in range(1, len(STREAM)):
        assert _frames([STREAM[:offset], STREAM[offset:]]) == expected, offset


def test_byte_by_byte_feeding_keeps_multibyte_characters() -> None:
    frames = _frames([bytes([b]) for b in STREAM])
    newchannel = parse_frame(frames[2])
    assert isinstance(newchannel, AmiMessage) and newchannel.get("CallerIDName") == "رضا احمدی"


def test_repeated_headers_are_all_kept() -> None:
    message = parse_frame(b"Response: Success\r\nOutput: line one\r\nOutput: \r\nOutput: line three")
    assert isinstance(message, AmiMessage) and message.kind is MessageKind.RESPONSE
    assert message.get_all("output") == ["line one", "", "line three"]


@pytest.mark.parametrize(
    "frame, reason",
    [
        (b"Hello there\r\nEvent: X", "line 1 is not 'Key: Value'"),
        (b"Channel: SIP/1-00000001\r\nUniqueid: 1.1", "frame has neither Event nor Response"),
        (b"Response: Follows\r\nPrivilege: Command\r\noutput without end", "command output without --END COMMAND--"),
        (b"\r\n", "empty frame"),
    ],
)
def test_malformed_frames_are_reported_with_their_bytes(frame: bytes, reason: str) -> None:
    parsed = parse_frame(frame)
    assert isinstance(parsed, BadFrame) and parsed.reason == reason and parsed.raw == frame


def test_invalid_utf8_is_replaced_not_lost() -> None:
    parsed = parse_frame(b"Event: Newchannel\r\nCallerIDName: \xff\xfeAli")
    assert isinstance(parsed, AmiMessage) and parsed.get("CallerIDName").endswith("Ali")
    assert parsed.raw.startswith(b"Event: Newchannel")


def test_oversized_frame_is_cut_and_returned() -> None:
    framer = AmiFramer(expect_banner=False, max_frame_bytes=64)
    frames = framer.feed(b"Event: Flood\r\nData: " + b"x" * 100)
    assert len(frames) == 1 and isinstance(parse_frame(frames[0]), AmiMessage | BadFrame)
    assert framer.pending_bytes == 0


def test_stream_without_banner_is_framed() -> None:
    framer = AmiFramer()
    assert framer.feed(b"Event: FullyBooted\r\nStatus: Fully Booted\r\n\r\n") == [
        b"Event: FullyBooted\r\nStatus: Fully Booted"
    ]
