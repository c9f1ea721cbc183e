"""hfaxd reply framing and listing parsers, on replies recorded from hylafax-server 6.0.7."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.errors import BadReplyError
from connectors.fax.hylafax.replies import (
    MAX_LINE,
    Reply,
    ReplyFramer,
    parse_job_line,
    parse_new_job,
    parse_pasv,
    parse_recv_line,
    parse_stored_file,
    split_listing,
)
from domain.fax import FailureReason, FaxJobState

FIXTURES = Path(__file__).resolve().parents[3] / "fixtures" / "fax" / "hylafax"


def _frame_all(data: bytes, cuts: tuple[int, ...] = ()) -> list[Reply]:
    framer, replies, start = ReplyFramer(), [], 0
    for cut in (*cuts, len(data)):
        replies += framer.feed(data[start:cut])
        start = cut
    assert not framer.pending
    return replies


@pytest.mark.parametrize("name", ["replies_submit.bin", "replies_session.bin"])
def test_recorded_sessions_frame_alike_at_every_split(name: str) -> None:
    data = (FIXTURES / name).read_bytes()
    whole = _frame_all(data)
    for cut in range(1, len(data)):
        assert _frame_all(data, (cut,)) == whole


def test_multi_line_reply_keeps_its_lines() -> None:
    replies = _frame_all((FIXTURES / "replies_session.bin").read_bytes())
    dump = next(r for r in replies if r.code == 217)
    assert dump.lines[0].startswith("Job state: jobid 7")
    assert dump.text.startswith("End of job 7 state")
    assert "    DIALSTRING: 123456" in dump.lines
    help_reply = next(r for r in replies if r.code == 214)
    assert len(help_reply.lines) > 10


def test_a_character_split_across_reads_survives() -> None:
    data = '213 TOUSER set to "بهرام".\r\n'.encode()
    for cut in range(1, len(data)):
        assert _frame_all(data, (cut,))[0].text == 'TOUSER set to "بهرام".'


@pytest.mark.parametrize("junk", [b"hello\r\n", b"21 short\r\n", b"\r\n", b"abc-def\r\n", b"\x00\xff\xfe\r\n"])
def test_junk_is_a_bad_reply_with_the_raw_kept(junk: bytes) -> None:
    with pytest.raises(BadReplyError) as caught:
        ReplyFramer().feed(junk)
    assert caught.value.system == "hylafax" and caught.value.raw is not None


def test_endless_line_and_endless_reply_are_refused() -> None:
    with pytest.raises(BadReplyError, match="too long"):
        ReplyFramer().feed(b"2" * (MAX_LINE + 1))
    framer = ReplyFramer()
    with pytest.raises(BadReplyError, match="never ends"):
        framer.feed(b"217-start\r\n" + b" line\r\n" * 2000)
    error = BadReplyError("x", raw=b"y" * 10_000)
    assert len(error.raw) == BadReplyError.RAW_LIMIT


def _reply(line: bytes) -> Reply:
    return _frame_all(line + b"\r\n")[0]


def test_values_read_from_real_replies() -> None:
    replies = _frame_all((FIXTURES / "replies_submit.bin").read_bytes())
    pasv = next(r for r in replies if r.code == 227)
    assert parse_pasv(pasv)[0] == "127.0.0.1"
    assert parse_stored_file(next(r for r in replies if r.code == 150)) == "/tmp/doc6.ps"
    assert parse_stored_file(next(r for r in replies if r.code == 226)) == "/tmp/doc6.ps"
    assert parse_new_job(next(r for r in replies if "New job" in r.text)) == ("8", "8")
    assert parse_pasv(_reply(b"227 Entering passive mode (10,0,0,1,4,1)")) == ("10.0.0.1", 1025)


@pytest.mark.parametrize(
    "parse, line",
    [
        (parse_pasv, b"227 Entering passive mode (1,2,3)"),
        (parse_pasv, b"227 Entering passive mode (1,2,3,4,999,1)"),
        (parse_pasv, b"200 Entering passive mode (1,2,3,4,5,6)"),
        (parse_stored_file, b"226 Transfer complete."),
        (parse_new_job, b"200 New job created."),
        (parse_new_job, b"500 New job created: jobid: 1 groupid: 1."),
    ],
)
def test_malformed_value_replies(parse, line: bytes) -> None:
    with pytest.raises(BadReplyError):
        parse(_reply(line))


def test_real_job_listings() -> None:
    lines = split_listing((FIXTURES / "list_sendq.bin").read_bytes())
    lines += split_listing((FIXTURES / "list_doneq.bin").read_bytes())
    jobs = {job.job_id: job for job in map(parse_job_line, lines)}
    assert jobs["7"].state is FaxJobState.READY and jobs["7"].key == "act-2" and jobs["7"].max_dials == 12
    assert jobs["8"].state is FaxJobState.PENDING and jobs["8"].send_at.isoformat() == "2026-12-08T09:30:00+00:00"
    blocked = [job for job in jobs.values() if job.state is FaxJobState.BLOCKED]
    assert blocked and all(job.reason is FailureReason.NONE for job in blocked)
    assert (jobs["6"].state, jobs["6"].reason) == (FaxJobState.CANCELLED, FailureReason.CANCELLED)
    assert jobs["2"].reason is FailureReason.EXPIRED and jobs["2"].state is FaxJobState.FAILED


def test_real_receive_listing() -> None:
    [first, *_] = map(parse_recv_line, split_listing((FIXTURES / "list_recvq.bin").read_bytes()))
    assert (first.server_id, first.sender_tsi, first.caller_number, first.caller_name, first.pages) == (
        "fax000000042.tif",
        "ACME FAX",
        "+982188888888",
        "ACME Ltd",
        2,
    )
    assert first.is_complete
    assert not parse_recv_line("fax1.tif\t*\t0\t0\t\t\t\t").is_complete


@pytest.mark.parametrize(
    "parse, line",
    [
        (parse_job_line, "7\tW\tkey"),
        (parse_job_line, "x\tW\tk\t0\t12\t0\t3\t0\t0\t0\t"),
        (parse_job_line, "7\tW\tk\tzero\t12\t0\t3\t0\t0\t0\t"),
        (parse_recv_line, "readme.txt\t \t1\t0\t\t\t\t"),
        (parse_recv_line, "fax1.tif\t \tmany\t0\t\t\t\t"),
    ],
)
def test_malformed_listing_lines(parse, line: str) -> None:
    with pytest.raises(BadReplyError):
        parse(line)
