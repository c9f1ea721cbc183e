"""Setting apart the message whose status reply cannot be read (SMS-20): isolation, its cap, the backoff."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from connectors.errors import AuthError, BadReplyError, RejectedError
from domain.sms import DeliveryReport, DeliveryStatus
from services.sms.status_poll import MAX_BACKOFF, ask_isolating, next_status_try

WINDOW = timedelta(hours=48)
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


class Provider:
    """Answers a batch as a whole: any poisoned id in it spoils the reply (naming the id when ``names_it``)."""

    def __init__(self, poisoned: set[str], *, names_it: bool = False) -> None:
        self.poisoned, self.names_it, self.calls = poisoned, names_it, []

    def __call__(self, ids: Sequence[str]) -> list[DeliveryReport]:
        self.calls.append(list(ids))
        bad = [i for i in ids if i in self.poisoned]
        if bad:
            raise BadReplyError("unexpected reply", key=bad[0] if self.names_it else None)
        return [DeliveryReport(i, DeliveryStatus.DELIVERED) for i in ids]


def test_halving_finds_the_poisoned_id_and_keeps_the_others() -> None:
    fetch = Provider({"3"})
    asked = ask_isolating(fetch, [str(i) for i in range(1, 9)])
    assert sorted(r.provider_id for r in asked.reports) == ["1", "2", "4", "5", "6", "7", "8"]
    assert list(asked.unreadable) == ["3"] and asked.unsettled == []
    assert len(fetch.calls) <= 1 + 2 * 3  # one call, then two per halving level


def test_an_error_that_names_its_message_costs_one_more_call() -> None:
    fetch = Provider({"5"}, names_it=True)
    asked = ask_isolating(fetch, [str(i) for i in range(1, 9)])
    assert list(asked.unreadable) == ["5"] and len(asked.reports) == 7
    assert len(fetch.calls) == 2


def test_a_provider_that_answers_nothing_readably_costs_a_bounded_number_of_calls() -> None:
    ids = [str(i) for i in range(100)]
    fetch = Provider(set(ids))
    asked = ask_isolating(fetch, ids, calls=16)
    assert len(fetch.calls) == 17
    assert len(asked.unreadable) + len(asked.unsettled) == 100 and asked.reports == []
    assert isinstance(asked.error, BadReplyError)


@pytest.mark.parametrize("error", [AuthError("bad key"), RejectedError("no", code="17")])
def test_errors_about_the_whole_call_are_not_isolated(error: Exception) -> None:
    def fetch(ids: Sequence[str]) -> list[DeliveryReport]:
        raise error

    with pytest.raises(type(error)):
        ask_isolating(fetch, ["1", "2"])


def test_a_refusal_naming_one_message_is_isolated() -> None:
    def fetch(ids: Sequence[str]) -> list[DeliveryReport]:
        if "2" in ids:
            raise RejectedError("unknown message id", code="411", key="2")
        return [DeliveryReport(i, DeliveryStatus.SENT_TO_OPERATOR) for i in ids]

    asked = ask_isolating(fetch, ["1", "2", "3"])
    assert list(asked.unreadable) == ["2"] and len(asked.reports) == 2


def test_the_wait_doubles_up_to_its_cap_and_ends_with_the_window() -> None:
    every = timedelta(minutes=5)
    waits = [next_status_try(T0, T0, n, every, WINDOW) - T0 for n in (1, 2, 3)]
    assert waits == [timedelta(minutes=10), timedelta(minutes=20), timedelta(minutes=40)]
    assert next_status_try(T0, T0, 12, every, WINDOW) - T0 == MAX_BACKOFF
    late = T0 + WINDOW - timedelta(hours=1)
    assert next_status_try(T0, late, 1, every, WINDOW) == late + timedelta(minutes=10)
    assert next_status_try(T0, late, 12, every, WINDOW) is None
    assert next_status_try(None, T0, 1, every, WINDOW) is None
