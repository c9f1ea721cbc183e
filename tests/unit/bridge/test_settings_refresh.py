"""The settings refresher reads again soon after a passing failure, never soon after a refused sign-in."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bridge.runtime.settings_refresh import RetrySchedule, SettingsRefresher
from connectors.dataverse.errors import ConnectFailedError, DataverseAuthError


def _refused() -> DataverseAuthError:
    return DataverseAuthError("the server refused the NTLM sign-in", code="sign_in_refused", status=401)


def test_a_passing_failure_is_retried_after_5_then_10_20_40_s_up_to_the_interval_then_the_interval_again():
    schedule = RetrySchedule(interval_s=60)
    down = [ConnectFailedError("no route")]
    assert [schedule.next_wait_s(down) for _ in range(6)] == [5, 10, 20, 40, 60, 60]
    assert schedule.next_wait_s([]) == 60
    assert schedule.next_wait_s(down) == 5  # a new run of failures starts from the first wait again


def test_a_refused_sign_in_waits_the_whole_interval_so_a_wrong_password_cannot_lock_the_account():
    schedule = RetrySchedule(interval_s=300)
    assert schedule.next_wait_s([ConnectFailedError("x")]) == 5
    assert schedule.next_wait_s([ConnectFailedError("x"), _refused()]) == 300
    assert schedule.next_wait_s([ConnectFailedError("x")]) == 5


class _Source:
    """A settings source whose reads go as scripted: an exception raised, a list of part failures, or None."""

    def __init__(self, outcomes: list[object]) -> None:
        self.outcomes = outcomes
        self.reads = 0

    def settings_for(self, system_key: str) -> None:
        return None

    def options_for(self, system_key: str) -> None:
        return None

    async def refresh(self) -> object:
        outcome = self.outcomes[self.reads]
        self.reads += 1
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


class _Stop(Exception):
    pass


def _run(source: _Source, rounds: int) -> list[float]:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == rounds:
            raise _Stop

    with pytest.raises(_Stop):
        asyncio.run(SettingsRefresher(source, 300, sleep=sleep).run())
    return waits


def test_reads_at_once_then_sooner_while_the_crm_is_out_of_reach_then_at_the_interval(caplog):
    source = _Source([ConnectFailedError("down"), ConnectFailedError("down"), None, None])
    with caplog.at_level(logging.ERROR, logger="bridge.runtime.settings_refresh"):
        waits = _run(source, 4)
    assert waits == [5, 10, 300, 300] and source.reads == 4
    assert sum("could not be refreshed" in r.getMessage() for r in caplog.records) == 2


def test_one_environment_not_read_of_several_is_retried_sooner_too():
    source = _Source([[ConnectFailedError("branch CRM down")], [], [_refused()]])
    assert _run(source, 3) == [5, 300, 300]


def test_a_static_source_reads_once_per_interval():
    assert _run(_Source([None, None]), 2) == [300, 300]
