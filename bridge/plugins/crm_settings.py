"""Settings source plug-in: each system's settings from the CRM (its first environment), the file as
fallback (CALL-27, CALL-13).

``[bridge] settings_source`` defaults to :func:`from_bridge`. The daemon calls
:meth:`CrmSettingsSource.refresh` at start and every ``settings_refresh_s``;
each environment's :class:`~bridge.crm.settings.CrmSettings` is re-read, and
the hidden extensions the CRM names are handed to the call tracker, so a
change made in the CRM applies from the next call on. An environment that
cannot be read keeps its last good settings; until a system's row was read
once, the file's settings are used.

It also runs the :class:`~bridge.crm.link_report.LinkReporter`: each link's
status and last-seen time go onto the system row in every environment the
system writes to (issue 11, point 1.3).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from bridge.crm.link_report import DEFAULT_SETTLE, LinkReporter
from bridge.crm.settings import CrmSettings, LinkStatus
from bridge.plugins.crm import CrmContext, crm_context
from bridge.runtime.raw_journal import close_shared_journal
from connectors.pbx.base import ConnectionState, utc_now
from domain.calls.system_settings import TelephonySystemSettings
from domain.calls.tracker import CallTracker
from services.calls.telephony_settings import SystemOptions

log = logging.getLogger(__name__)


class CrmSettingsSource:
    """A :class:`~bridge.crm.settings_source.SettingsSource` over every environment's CRM settings."""

    def __init__(self, context: CrmContext, tracker: CallTracker):
        self._context = context
        self._tracker = tracker
        self._hand_hidden_extensions()  # the settings kept from the last read apply from the first call

    def settings_for(self, system_key: str) -> TelephonySystemSettings | None:
        if system_key not in self._context.config.systems:
            return None
        home = self._context.settings.get(self._context.home(system_key))
        return home.settings_for(system_key) if home else None

    def options_for(self, system_key: str) -> SystemOptions:
        home = self._context.settings.get(self._context.home(system_key))
        return home.options_for(system_key) if home else SystemOptions()

    async def refresh(self) -> list[BaseException]:
        """Re-read every environment; returns the errors of those not read, and raises only when none could be
        read (the daemon logs it). Either way the daemon reads again sooner than its interval."""
        names = list(self._context.settings)
        results = await asyncio.gather(*(self._context.settings[n].refresh() for n in names), return_exceptions=True)
        failed = [
            (name, result) for name, result in zip(names, results, strict=True) if isinstance(result, BaseException)
        ]
        for name, error in failed:
            log.warning(
                "telephony settings of %s not read (%s); keeping the last good ones",
                name,
                error,
                extra={"environment": name},
            )
        self._hand_hidden_extensions()
        if failed and len(failed) == len(names):
            raise failed[0][1]
        return [error for _, error in failed]

    def _hand_hidden_extensions(self) -> None:
        for key in self._context.config.systems:
            settings = self.settings_for(key)
            if settings is not None:
                self._tracker.set_hidden_extensions(key, settings.hidden_extensions)


#: How often the link reporter looks at the links (seconds).
LINK_LOOK_S = 1.0


def link_reporter(
    states: Callable[[], Mapping[str, ConnectionState]],
    environments: Mapping[str, tuple[str, ...]],
    settings: Mapping[str, CrmSettings],
    *,
    settle: timedelta = DEFAULT_SETTLE,
) -> LinkReporter:
    """A reporter writing each system's status to its row in every environment it writes to."""

    def report(key: str, status: LinkStatus, detail: str, now: Any) -> bool:
        rows = [settings[env] for env in environments.get(key, ()) if env in settings]
        return all([row.report_link(key, status, detail, now) for row in rows])

    return LinkReporter(states, report, settle=settle)


async def watch_links(links: LinkReporter, clock: Callable[[], Any] = utc_now) -> None:
    """Look at the links every :data:`LINK_LOOK_S` until cancelled."""
    while True:
        links.observe(clock())
        await asyncio.sleep(LINK_LOOK_S)


def from_bridge(bridge: Any) -> CrmSettingsSource:
    """The default ``settings_source``; also reports each link's status and closes the raw-frame journal at stop."""
    journal = bridge.config.bridge.raw_journal_path
    bridge.on_shutdown(lambda: close_shared_journal(journal), "raw journal")
    context = crm_context(bridge)
    workers = getattr(bridge, "workers", {})
    links = link_reporter(
        lambda: {key: worker.state for key, worker in workers.items()}, context.environments, context.settings
    )
    bridge.add_task("link-status", lambda: watch_links(links))
    return CrmSettingsSource(context, bridge.tracker)
