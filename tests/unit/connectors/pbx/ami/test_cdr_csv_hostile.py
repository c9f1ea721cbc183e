"""Hostile ``Master.csv`` content (CALL-14): any bytes read into rows and problems with offsets, never an
exception; any field of a real row turned hostile gives a call or the ``ValueError`` the catch-up reports."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.pbx.ami.cdr_calls import cdr_call_events
from connectors.pbx.ami.cdr_csv import parse_chunk
from connectors.pbx.ami.classify import ChannelClassifier
from connectors.pbx.ami.settings import ChannelRules

FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ANCHOR = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
GOOD = [
    "", "09121234567", "101", "from-internal", '"Customer" <09121234567>', "PJSIP/provider-00000001",
    "PJSIP/101-00000002", "Dial", "PJSIP/101,30", "2026-12-06 11:00:00", "2026-12-06 11:00:05",
    "2026-12-06 11:01:05", "65", "60", "ANSWERED", "DOCUMENTATION", "1796554800.1", "",
]  # fmt: skip
HOSTILE = st.one_of(
    st.text(max_size=20),
    st.sampled_from(
        ["", "-1", "9" * 5000, "99999999999", "²", "٦٥", "1e9", "2026-02-30 11:00:00",
         "9999-12-31 23:59:59", "0001-01-01 00:00:00", "1969-12-31 23:59:59",
         "\u202e101", "\x00", "\r", '"', "2026-12-06T11:00:00+25:00"]
    ),
)  # fmt: skip


def _line(fields: list[str]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(fields)
    return out.getvalue().encode("utf-8", errors="surrogatepass")


@FAST
@given(data=st.binary(max_size=600), offset=st.integers(0, 10**12), final=st.booleans())
def test_any_bytes_read_into_rows_and_problems(data: bytes, offset: int, final: bool) -> None:
    chunk = parse_chunk(data, at_offset=offset, final=final)
    assert 0 <= chunk.consumed <= len(data)
    assert all(offset <= problem.offset < offset + len(data) for problem in chunk.problems)


@FAST
@given(changes=st.lists(st.tuples(st.integers(0, len(GOOD) - 1), HOSTILE), min_size=1, max_size=3))
def test_a_real_row_with_hostile_fields_is_a_call_or_a_reported_problem(changes: list[tuple[int, str]]) -> None:
    fields = list(GOOD)
    for index, value in changes:
        fields[index] = value
    chunk = parse_chunk(_line(fields), final=True)
    for row in chunk.rows:
        for zone in (UTC, ZoneInfo("Asia/Tehran"), None):
            try:
                call = cdr_call_events(row, "pbx", ChannelClassifier(ChannelRules()), zone=zone, anchor=ANCHOR)
            except ValueError:
                continue
            assert call.events
