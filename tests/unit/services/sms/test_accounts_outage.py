"""Provider accounts while Dataverse is down (issue 14): the accounts already read are kept, so a provider's
webhook can still be authenticated and its texts held; the first read's failure still surfaces."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import requests

from connectors.errors import RejectedError, UnavailableError
from services.sms.accounts import DEFAULT_TTL_S, STALE_RETRY_S, ProviderRegistry
from tests.unit.services.sms.test_panel_trial import KEY, row


class _FlakyRows:
    def __init__(self) -> None:
        self.rows, self.failure, self.reads = [row()], None, 0

    def providers(self):
        self.reads += 1
        if self.failure is not None:
            raise self.failure
        return list(self.rows)


class _Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _registry(rows: _FlakyRows, clock: _Clock) -> ProviderRegistry:
    return ProviderRegistry(rows, session=requests.Session(), secrets={"IPP_KEY": KEY}, clock=clock)


def test_an_outage_at_a_re_read_keeps_the_accounts_and_retries_later() -> None:
    rows, clock = _FlakyRows(), _Clock()
    registry = _registry(rows, clock)
    assert [a.account_key for a in registry.accounts()] == ["ipp"]
    rows.failure = UnavailableError("down", system="dataverse")
    clock.now += timedelta(seconds=DEFAULT_TTL_S)
    assert [a.account_key for a in registry.accounts()] == ["ipp"] and rows.reads == 2
    clock.now += timedelta(seconds=STALE_RETRY_S - 1)
    registry.accounts()
    assert rows.reads == 2  # not asked again before STALE_RETRY_S
    clock.now += timedelta(seconds=1)
    rows.failure = None
    registry.accounts()
    assert rows.reads == 3


def test_the_first_read_and_refusals_still_raise() -> None:
    rows, clock = _FlakyRows(), _Clock()
    rows.failure = UnavailableError("down", system="dataverse")
    with pytest.raises(UnavailableError):
        _registry(rows, clock).accounts()
    rows.failure = None
    registry = _registry(rows, clock)
    registry.accounts()
    rows.failure = RejectedError("no privilege", system="dataverse")
    clock.now += timedelta(seconds=DEFAULT_TTL_S)
    with pytest.raises(RejectedError):
        registry.accounts()
