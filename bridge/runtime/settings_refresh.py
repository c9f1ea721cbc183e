"""Keeping each telephony system's CRM settings fresh: every ``settings_refresh_s``, sooner after a passing failure.

A bridge started while its CRM was briefly out of reach (a restart of the server, a network
blip, a slow sign-in) would otherwise run on the local file's fallback settings for a whole
refresh interval (five minutes by default). After such a failure the next read comes 5 s
later, then 10, 20, ... up to the interval. A *refused* sign-in is not retried sooner: a
wrong password tried every few seconds can lock the service account out of the domain.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence

from bridge.crm.settings_source import SettingsSource
from connectors.dataverse.errors import DataverseAuthError

log = logging.getLogger(__name__)

#: The wait before the first read after a passing failure (seconds); it doubles with each failure.
FIRST_RETRY_S = 5.0


class RetrySchedule:
    """The wait before the next read, from how the last one went."""

    def __init__(self, interval_s: float, first_retry_s: float = FIRST_RETRY_S) -> None:
        self.interval_s = interval_s
        self.first_retry_s = first_retry_s
        self._failures_in_a_row = 0

    def next_wait_s(self, failures: Sequence[BaseException]) -> float:
        """``failures``: the errors of the parts not read (none when all were)."""
        if not failures or any(isinstance(error, DataverseAuthError) for error in failures):
            self._failures_in_a_row = 0
            return self.interval_s
        self._failures_in_a_row += 1
        return min(self.interval_s, self.first_retry_s * 2 ** (self._failures_in_a_row - 1))


class SettingsRefresher:
    """Reads the settings at once, then again and again on :class:`RetrySchedule`'s waits."""

    def __init__(
        self,
        source: SettingsSource,
        interval_s: float,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        first_retry_s: float = FIRST_RETRY_S,
    ) -> None:
        self._source = source
        self._schedule = RetrySchedule(interval_s, first_retry_s)
        self._sleep = sleep

    async def run(self) -> None:
        while True:
            failures = await self.refresh_once()
            await self._sleep(self._schedule.next_wait_s(failures))

    async def refresh_once(self) -> list[BaseException]:
        """One read; returns the errors of the parts not read (the source has logged each)."""
        try:
            outcome = await self._source.refresh()
        except Exception as error:
            log.exception("telephony settings could not be refreshed; keeping the previous ones")
            return [error]
        return [item for item in outcome if isinstance(item, BaseException)] if isinstance(outcome, list) else []
