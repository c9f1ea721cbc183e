"""Hostile input for the hfaxd parsers and for the values we send to hfaxd.

Every parser either returns a valid value or raises ``BadReplyError`` with the
raw text kept; every value that reaches a command line either goes out as one
line or is refused with ``RejectedError`` before anything is sent.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.errors import BadReplyError, RejectedError
from connectors.fax.hylafax.replies import (
    ReplyFramer,
    parse_job_line,
    parse_new_job,
    parse_pasv,
    parse_recv_line,
    parse_stored_file,
    split_listing,
)
from connectors.fax.hylafax.server import HylaFaxServer, HylaFaxSettings
from connectors.fax.hylafax.session import quote
from domain.fax import DialParts, FaxDocument, OutgoingFax

FAX = OutgoingFax(key="act-1", documents=(FaxDocument.of("a.ps", b"%!PS\n"),), dial=DialParts("02112345678"))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_FIELD = st.one_of(
    st.text(max_size=12),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.sampled_from(["", " ", "\x00", "\u202e", "\ufffd", "٣", "1_0", "-1", "9" * 40, "nan"]),
)


def _line(count: int):
    return st.lists(_FIELD, min_size=count, max_size=count).map("\t".join)


@FAST
@given(data=st.binary(max_size=300), cuts=st.lists(st.integers(0, 300), max_size=4))
def test_framer_takes_any_bytes_or_says_bad_reply(data: bytes, cuts: list[int]) -> None:
    framer, start = ReplyFramer(), 0
    try:
        for cut in (*sorted(c for c in cuts if c <= len(data)), len(data)):
            for reply in framer.feed(data[start:cut]):
                assert 0 <= reply.code <= 999 and reply.lines
            start = cut
    except BadReplyError as exc:
        assert exc.raw is not None


@FAST
@given(line=_line(11))
def test_job_line_of_any_shape_is_a_status_or_a_bad_reply(line: str) -> None:
    try:
        job = parse_job_line(line)
    except BadReplyError as exc:
        assert exc.raw
        return
    assert min(job.pages_sent, job.pages_total, job.dials, job.max_dials, job.tries, job.max_tries) >= 0


@FAST
@given(line=st.one_of(_line(8), _line(8).map(lambda s: "fax" + s)))
def test_receive_line_of_any_shape_is_a_fax_or_a_bad_reply(line: str) -> None:
    try:
        fax = parse_recv_line(line)
    except BadReplyError as exc:
        assert exc.raw
        return
    assert fax.pages >= 0 and fax.server_id.startswith("fax")


@pytest.mark.parametrize(
    "line",
    [
        "fax1.tif\t\t1\t99999999999999999999\t\t\t\t",  # an epoch past year 9999
        "fax1.tif\t\t-3\t0\t\t\t\t",  # negative pages
    ],
)
def test_out_of_range_receive_fields_are_bad_replies(line: str) -> None:
    with pytest.raises(BadReplyError):
        parse_recv_line(line)


def test_an_epoch_past_year_9999_in_a_job_line_is_a_bad_reply() -> None:
    with pytest.raises(BadReplyError):
        parse_job_line("\t".join(["7", "D", "k", "1", "3", "1", "3", "1", "1", "9" * 25, "done"]))


@FAST
@given(text=st.text(max_size=80), code=st.integers(100, 599))
def test_value_replies_of_any_text_are_values_or_bad_replies(text: str, code: int) -> None:
    data = f"{code} {text}".replace("\r", " ").replace("\n", " ").encode() + b"\r\n"
    (reply,) = ReplyFramer().feed(data)
    for parse in (parse_pasv, parse_stored_file, parse_new_job):
        try:
            value = parse(reply)
        except BadReplyError:
            continue
        assert value


@FAST
@given(data=st.binary(max_size=200))
def test_listing_split_never_raises(data: bytes) -> None:
    assert all(line.strip() for line in split_listing(data))


@pytest.mark.parametrize(
    "value", ["+1555\r\nJSUBM", "a\nb", 'say "hi"', "back\\slash", "tab\there", "nul\x00byte", "lone \ud800"]
)
def test_quote_refuses_what_would_break_the_command_line(value: str) -> None:
    with pytest.raises(RejectedError):
        quote(value)


@FAST
@given(value=st.text(max_size=40))
def test_quoted_values_are_one_line(value: str) -> None:
    try:
        quoted = quote(value)
    except RejectedError:
        return
    assert "\r" not in quoted and "\n" not in quoted and "\x00" not in quoted
    assert quoted.count('"') == 2


@pytest.mark.parametrize(
    "field, value",
    [
        ("recipient_name", "Ann\r\nJSUBM"),
        ("sender_name", 'Bob" MODEM "ttyS1'),
        ("header", "ACME\nJKILL 1"),
        ("modem", "ttyS0\x00"),
        ("recipient_name", "Dr \udc80"),
    ],
)
def test_a_value_hfaxd_cannot_take_is_refused_before_connecting(field: str, value: str) -> None:
    # Port 9 on localhost: nothing listens, so a connection attempt would be NotSentError, not RejectedError.
    server = HylaFaxServer(HylaFaxSettings(host="127.0.0.1", port=9, user="bridge", connect_timeout_s=1))
    fax = replace(FAX, **{field: value})
    with pytest.raises(RejectedError) as caught:
        server.submit(fax)
    assert caught.value.code == "bad_value"
