"""Asking a provider about a batch of messages when one of them gets a reply we cannot read (SMS-20).

A provider answers a status batch as a whole: one unreadable entry (a mistyped
field, a reply about another message) raises ``BadReplyError`` for all of them.
:func:`ask_isolating` finds the message that poisons the batch and keeps the
reports of the others: it leaves out the id the error names, or else asks each
half of the batch again, down to single ids. Only unreadable replies are
isolated; a transport fault, a throttle, an auth error or a refusal of the
whole call still stops the account's poll. The extra calls per batch are
capped, so a provider that answers nothing readably costs a bounded number of
requests, and what the cap leaves unsettled is asked at the next poll.

:func:`next_status_try` is the backoff of one unreadable message: the wait
doubles with each unreadable reply in a row, and once the next try would fall
after the delivery window the message is given up (``None``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from connectors.errors import BadReplyError, ConnectorError, RejectedError
from domain.sms import DeliveryReport

#: Extra status calls one batch may cost while its unreadable messages are isolated.
ISOLATION_CALLS = 16
#: The longest wait before an unreadable message is asked about again.
MAX_BACKOFF = timedelta(hours=6)


@dataclass
class Asked:
    """What a batch's status calls gave: the reports, the ids whose reply could not be read, and the ids left
    unsettled when the calls allowed for isolating ran out (``error`` is then the last one seen)."""

    reports: list[DeliveryReport] = field(default_factory=list)
    unreadable: dict[str, ConnectorError] = field(default_factory=dict)
    unsettled: list[str] = field(default_factory=list)
    error: ConnectorError | None = None


def _is_one_message(exc: ConnectorError, ids: Sequence[str]) -> bool:
    """An error that may concern one message, not the call: a reply we cannot read, or a refusal naming an id."""
    if isinstance(exc, BadReplyError):
        return True
    return isinstance(exc, RejectedError) and exc.code != "unsupported" and exc.key in ids


def ask_isolating(
    fetch: Callable[[Sequence[str]], list[DeliveryReport]], ids: Sequence[str], *, calls: int = ISOLATION_CALLS
) -> Asked:
    """Reports for ``ids`` through ``fetch``, with each message whose reply cannot be read set apart.

    Errors that concern the whole call propagate unchanged.
    """
    asked = Asked()
    budget = [calls]
    _ask(fetch, list(ids), asked, budget, first=True)
    return asked


def _ask(
    fetch: Callable[[Sequence[str]], list[DeliveryReport]],
    ids: list[str],
    asked: Asked,
    budget: list[int],
    *,
    first: bool = False,
) -> None:
    if not first:
        if budget[0] <= 0:
            asked.unsettled.extend(ids)
            return
        budget[0] -= 1
    try:
        asked.reports.extend(fetch(ids))
        return
    except ConnectorError as exc:
        if not _is_one_message(exc, ids):
            raise
        asked.error = exc
        if len(ids) == 1:
            asked.unreadable[ids[0]] = exc
            return
        if exc.key in ids:  # the error names the message: leave it out and ask the rest again
            asked.unreadable[exc.key] = exc
            _ask(fetch, [i for i in ids if i != exc.key], asked, budget)
            return
    half = len(ids) // 2
    _ask(fetch, ids[:half], asked, budget)
    _ask(fetch, ids[half:], asked, budget)


def next_status_try(
    accepted_on: datetime | None, now: datetime, bad_replies: int, interval: timedelta, window: timedelta
) -> datetime | None:
    """When to ask again about a message after its ``bad_replies``-th unreadable reply in a row; ``None`` once
    that would fall after the delivery window (give up)."""
    delay = min(interval * (2 ** min(bad_replies, 16)), MAX_BACKOFF)
    at = now + delay
    if accepted_on is None or at >= accepted_on + window:
        return None
    return at


__all__ = ["ISOLATION_CALLS", "MAX_BACKOFF", "Asked", "ask_isolating", "next_status_try"]
