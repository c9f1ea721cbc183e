"""When and how often an SMS may go out: quiet hours, the opt-out notice, retries (SMS-08, -15, -22, -23).

Iranian operators accept advertising texts only between 07:00 and 22:00
Tehran time (Magfa error 8), and bulk advertising must carry the «لغو11»
opt-out notice (Melipayamak error 15); the Iranian regulator requires it on marketing texts (as Melipayamak's error 15
shows: https://www.melipayamak.com/api/). Marketing
sends outside the window are *deferred* to its next opening, never dropped;
transactional messages (OTPs, receipts, replies) are not held back.
Pure: ``now`` is always passed in; nothing here reads the clock.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from domain.sms.text import fold
from domain.zones import is_zone

OPT_OUT_NOTICE = "لغو11"
MAX_RETRY_ATTEMPTS = 20


class MessageKind(enum.Enum):
    """Marketing texts respect quiet hours and carry the opt-out notice; transactional ones do not."""

    MARKETING = "marketing"
    TRANSACTIONAL = "transactional"


@dataclass(frozen=True)
class SendingWindow:
    """The hours marketing texts may go out, local to ``tz_name`` (default 07:00–22:00 Asia/Tehran).

    ``start`` is inclusive, ``end`` exclusive; a window may cross midnight
    (``start`` after ``end``). ``enabled=False`` lets every send through at
    once. Raises ``ValueError`` for an empty window or an unknown zone.
    """

    start: time = time(7, 0)
    end: time = time(22, 0)
    tz_name: str = "Asia/Tehran"
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.start == self.end:
            raise ValueError("the sending window's start and end must differ")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValueError("the sending window's times are local; give the zone in tz_name")
        if not is_zone(self.tz_name):
            raise ValueError(f"unknown time zone {self.tz_name[:64]!r}")

    def is_open_at(self, local: time) -> bool:
        """True when a marketing text may go out at the local wall-clock time ``local``."""
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end


def next_allowed_send(now: datetime, kind: MessageKind, window: SendingWindow = SendingWindow()) -> datetime:
    """The earliest moment at or after ``now`` a message of ``kind`` may go out.

    ``now`` must be timezone-aware; the result is in ``now``'s zone. Returns
    ``now`` for transactional messages, a disabled window or an open one;
    otherwise the window's next opening (deferred, not dropped; SMS-08).
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if kind is MessageKind.TRANSACTIONAL or not window.enabled:
        return now
    zone = ZoneInfo(window.tz_name)
    local = now.astimezone(zone)
    if window.is_open_at(local.time().replace(tzinfo=None)):
        return now
    opening_day = local.date() if local.time().replace(tzinfo=None) < window.start else local.date() + timedelta(days=1)
    opening = datetime.combine(opening_day, window.start, tzinfo=zone)
    # Round-trip through UTC so an opening inside a DST gap lands on a real instant.
    return opening.astimezone(now.tzinfo)


def has_opt_out_notice(text: str, notice: str = OPT_OUT_NOTICE) -> bool:
    """True when ``text`` already carries ``notice`` however typed («لغو ۱۱», «لغو11», «لغو١١»)."""
    return fold(notice).replace(" ", "") in fold(text).replace(" ", "")


def append_opt_out_notice(text: str, notice: str = OPT_OUT_NOTICE) -> str:
    """``text`` with the regulator's opt-out notice on its own last line, unless it already has it.

    Idempotent: appending twice gives the same text (SMS-08, SMS-15).
    """
    if has_opt_out_notice(text, notice):
        return text
    return f"{text.rstrip()}\n{notice}" if text.strip() else notice


@dataclass(frozen=True)
class RetryPolicy:
    """Automatic resends of failed messages (SMS-22, SMS-23), from the provider account's settings.

    ``max_attempts`` counts the first attempt too (the Send Attempts column);
    the wait before attempt *n+1* is ``first_delay_s × multiplier^(n-1)``,
    capped at ``max_delay_s``. Only errors marked safe to retry (not sent,
    rate-limited, unavailable) are retried; an outcome-unknown send is
    reconciled first, and a rejected one never retried.
    """

    max_attempts: int = 3
    first_delay_s: int = 60
    multiplier: float = 2.0
    max_delay_s: int = 3_600

    def __post_init__(self) -> None:
        if not 1 <= self.max_attempts <= MAX_RETRY_ATTEMPTS:
            raise ValueError(f"send attempts must be between 1 and {MAX_RETRY_ATTEMPTS}")
        if self.first_delay_s < 0 or self.max_delay_s < self.first_delay_s:
            raise ValueError("retry delays must be positive, and the cap at least the first delay")
        if not 1.0 <= self.multiplier <= 10.0:
            raise ValueError("the backoff multiplier must be between 1 and 10")

    def delays(self) -> tuple[timedelta, ...]:
        """The waits before each retry (attempts 2..max), in order."""
        return tuple(self._delay(n) for n in range(1, self.max_attempts))

    def next_attempt_at(self, attempts_made: int, last_attempt_at: datetime, *, jitter: float = 0.0) -> datetime | None:
        """When to try again after ``attempts_made`` failed attempts, or ``None`` when none are left.

        ``jitter`` in [0, 1) is a random fraction the caller draws (the domain
        has no randomness); the wait is shortened by up to that fraction so
        many failed messages do not retry in one burst.
        """
        if attempts_made < 1:
            raise ValueError("attempts_made counts attempts already made; at least 1")
        if not 0.0 <= jitter < 1.0:
            raise ValueError("jitter must be in [0, 1)")
        if attempts_made >= self.max_attempts:
            return None
        return last_attempt_at + self._delay(attempts_made) * (1.0 - jitter)

    def _delay(self, retry_number: int) -> timedelta:
        seconds = min(self.first_delay_s * self.multiplier ** (retry_number - 1), self.max_delay_s)
        return timedelta(seconds=seconds)
