"""Quiet hours, the «لغو11» notice and the retry schedule (SMS-08, -15, -22, -23)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.sms.policy import (
    MessageKind,
    RetryPolicy,
    SendingWindow,
    append_opt_out_notice,
    has_opt_out_notice,
    next_allowed_send,
)

MARKETING, TRANSACTIONAL = MessageKind.MARKETING, MessageKind.TRANSACTIONAL


def utc(hour: int, minute: int = 0, day: int = 10) -> datetime:
    return datetime(2024, 6, day, hour, minute, tzinfo=UTC)


# Tehran is UTC+03:30 (no daylight saving since 2022): 07:00 local = 03:30 UTC, 22:00 local = 18:30 UTC.
@pytest.mark.parametrize(
    "now, kind, expected",
    [
        (utc(10), MARKETING, utc(10)),
        (utc(3, 30), MARKETING, utc(3, 30)),
        (utc(3, 29), MARKETING, utc(3, 30)),
        (utc(18, 29), MARKETING, utc(18, 29)),
        (utc(18, 30), MARKETING, utc(3, 30, day=11)),
        (utc(23), MARKETING, utc(3, 30, day=11)),
        (utc(23), TRANSACTIONAL, utc(23)),
    ],
)
def test_marketing_waits_for_the_tehran_window(now: datetime, kind: MessageKind, expected: datetime) -> None:
    assert next_allowed_send(now, kind) == expected


def test_window_is_configurable_and_can_cross_midnight() -> None:
    night = SendingWindow(start=time(22), end=time(6), tz_name="UTC")
    assert next_allowed_send(utc(23), MARKETING, night) == utc(23)
    assert next_allowed_send(utc(5), MARKETING, night) == utc(5)
    assert next_allowed_send(utc(12), MARKETING, night) == utc(22)
    assert next_allowed_send(utc(1), MARKETING, SendingWindow(enabled=False)) == utc(1)


def test_result_keeps_the_callers_zone_across_dst() -> None:
    berlin = SendingWindow(start=time(2, 30), end=time(20), tz_name="Europe/Berlin")
    # 31 March 2024: Berlin clocks jump from 02:00 to 03:00, so 02:30 does not exist locally.
    opening = next_allowed_send(datetime(2024, 3, 31, 0, 0, tzinfo=UTC), MARKETING, berlin)
    assert opening.tzinfo is UTC and opening > datetime(2024, 3, 31, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "kwargs",
    [{"start": time(7), "end": time(7)}, {"tz_name": "Mars/Olympus"}, {"tz_name": "../etc/passwd"}],
)
def test_bad_windows_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        SendingWindow(**kwargs)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        next_allowed_send(datetime(2024, 1, 1), MARKETING)


@given(st.datetimes(timezones=st.just(UTC), min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)))
def test_deferral_lands_inside_the_window_within_a_day(now: datetime) -> None:
    window = SendingWindow()
    when = next_allowed_send(now, MARKETING, window)
    assert now <= when <= now + timedelta(hours=9, minutes=1)
    assert window.is_open_at(when.astimezone(ZoneInfo("Asia/Tehran")).time())


@pytest.mark.parametrize(
    "text, expected",
    [
        ("تخفیف ویژه", "تخفیف ویژه\nلغو11"),
        ("تخفیف ویژه  \n", "تخفیف ویژه\nلغو11"),
        ("تخفیف ویژه\nلغو ۱۱", "تخفیف ویژه\nلغو ۱۱"),
        ("تخفیف ویژه لغو١١", "تخفیف ویژه لغو١١"),
        ("", "لغو11"),
    ],
)
def test_opt_out_notice_is_added_once(text: str, expected: str) -> None:
    assert append_opt_out_notice(text) == expected
    assert append_opt_out_notice(append_opt_out_notice(text)) == append_opt_out_notice(text)
    assert has_opt_out_notice(expected)


def test_retry_schedule_backs_off_and_stops() -> None:
    policy = RetryPolicy(max_attempts=5, first_delay_s=60, multiplier=2, max_delay_s=300)
    assert policy.delays() == tuple(timedelta(seconds=s) for s in (60, 120, 240, 300))
    start = utc(10)
    assert policy.next_attempt_at(1, start) == start + timedelta(seconds=60)
    assert policy.next_attempt_at(3, start, jitter=0.5) == start + timedelta(seconds=120)
    assert policy.next_attempt_at(5, start) is None
    assert RetryPolicy(max_attempts=1).delays() == ()


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"max_attempts": 21}, {"first_delay_s": -1}, {"max_delay_s": 1}, {"multiplier": 0.5}],
)
def test_bad_retry_settings_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kwargs)


def test_retry_arguments_are_checked() -> None:
    with pytest.raises(ValueError):
        RetryPolicy().next_attempt_at(0, utc(1))
    with pytest.raises(ValueError):
        RetryPolicy().next_attempt_at(1, utc(1), jitter=1.0)
