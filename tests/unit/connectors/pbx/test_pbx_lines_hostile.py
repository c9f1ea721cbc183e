"""Hostile SMDR and caller-ID box lines (CALL-12, CALL-21): digits that are not ASCII (² passes ``str.isdigit``,
``int`` refuses it; Arabic-Indic ٣ passes both), numbers past any sane range, NUL and bidi overrides spliced into
real lines, and whole streams of bytes that are not text. Every line is a record, ignored or a ``BadFrame``;
every stream goes on.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.pbx.callerid.messages import PARSERS, CidMessage
from connectors.pbx.callerid.stream import CallerIdStream
from connectors.pbx.smdr.framer import BadFrame, Ignored
from connectors.pbx.smdr.parser import SmdrRecord, parse_line
from connectors.pbx.smdr.profile import Calendar, DateOrder, SmdrProfile

from .smdr.test_smdr_parser import RECORDS

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PROFILES = (
    SmdrProfile("KX-TDA200", DateOrder.DMY),
    SmdrProfile("KX-NS500", DateOrder.MDY),
    SmdrProfile("KX-TES824", DateOrder.MDY),
    SmdrProfile("KX-TDE100", DateOrder.YMD, Calendar.JALALI),
)
NOISE = st.one_of(
    st.text(alphabet="0123456789²³¹٣۵\u202e\u2066\x00\ufffd:-/. *'\"<>", max_size=12),
    st.sampled_from(["9" * 40, "9" * 5000, "-1", "99:99", "00/00/00", "31/02/24", "1e999"]),
)
CID_LINES = [
    "L1HND:091219913344 T0257@",
    "L1-09121234567@",
    "L1 Dialed:0912 123",
    "NMBR = 4072215191",
    "CID: *DATE*05042011*TIME*2149*LINE*VOIP*NMBR*4075551212*MESG*NONE*NAME*John*",
    "D1:L1:CallerID=02166595961.",
    "D1:L1:HangDown,Time=0001.",
    "D1:L1:MissCall,Ring=10.",
    "D2:L1:Ring=1.",
]


@FAST
@given(line=st.sampled_from([r[0] for r in RECORDS]), cut=st.integers(0, 120), noise=NOISE)
def test_real_smdr_lines_with_hostile_fields_never_raise(line: str, cut: int, noise: str) -> None:
    for profile in PROFILES:
        damaged = line[:cut] + noise + line[cut + len(noise) :]
        assert isinstance(parse_line(damaged, profile), SmdrRecord | Ignored | BadFrame)


@pytest.mark.parametrize("device", sorted(PARSERS))
@FAST
@given(line=st.sampled_from(CID_LINES), cut=st.integers(0, 80), noise=NOISE)
def test_real_caller_id_lines_with_hostile_fields_never_raise(device: str, line: str, cut: int, noise: str) -> None:
    damaged = line[:cut] + noise + line[cut + len(noise) :]
    assert isinstance(PARSERS[device](damaged), CidMessage | Ignored | BadFrame)


@pytest.mark.parametrize("device", sorted(PARSERS))
@FAST
@given(chunks=st.lists(st.binary(max_size=40), max_size=8))
def test_caller_id_streams_of_any_bytes_go_on(device: str, chunks: list[bytes]) -> None:
    stream, now = CallerIdStream("branch-cid", device), datetime(2025, 1, 1, tzinfo=UTC)
    for chunk in chunks:
        for output in stream.feed(chunk, now):
            assert isinstance(output.events, list | tuple)
        now += timedelta(seconds=1)
    stream.tick(now + timedelta(minutes=5))


@pytest.mark.parametrize("digits", ["9" * 5000, "9" * 40])
def test_a_techno_timer_of_thousands_of_digits_is_no_timer_not_an_error(digits: str) -> None:
    message = PARSERS["techno"](f"D1:L1:HangDown,Time={digits}.")
    assert isinstance(message, CidMessage | BadFrame)
    assert not isinstance(message, CidMessage) or message.seconds is None or message.seconds < 10**6
