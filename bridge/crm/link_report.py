"""Each telephony link's status, written onto its system row in the CRM and logged (issue 11, point 1.3).

:class:`LinkReporter` looks at every system's connection state. A link that
goes down or comes back is logged at once (WARNING when lost, INFO when back);
the CRM row (status, detail, last seen; see
:meth:`~bridge.crm.settings.CrmSettings.report_link`) is written once the new
state has held for ``settle_s``, so a link that flaps writes its settled state,
not every blip. A row that was not read yet is tried again on the next look.
``docs/telephony.md`` offers a Power Automate trigger on that status.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bridge.crm.settings import LinkStatus
from connectors.pbx.base import ConnectionState

log = logging.getLogger(__name__)

#: A new state is written to the CRM once it has held this long.
DEFAULT_SETTLE = timedelta(seconds=5)

_STATUS = {
    ConnectionState.CONNECTED: (LinkStatus.CONNECTED, "connected"),
    ConnectionState.CONNECTING: (LinkStatus.DISCONNECTED, "connecting"),
    ConnectionState.BACKING_OFF: (LinkStatus.DISCONNECTED, "link lost; reconnecting"),
    ConnectionState.STOPPED: (LinkStatus.DISCONNECTED, "the bridge is not running this link"),
    ConnectionState.AUTH_FAILED: (
        LinkStatus.LOGIN_FAILED,
        "the device refused the bridge's credentials; fix them in bridge.toml",
    ),
}

#: ``report(system_key, status, detail, now)`` → whether every row it goes to took it.
Report = Callable[[str, LinkStatus, str, datetime], bool]


@dataclass
class _Link:
    state: ConnectionState | None = None
    since: datetime | None = None
    reported: ConnectionState | None = None
    lost_at: datetime | None = None


class LinkReporter:
    """Reports changes of ``states()`` (system key → state) through ``report``, debounced by ``settle``."""

    def __init__(
        self, states: Callable[[], Mapping[str, ConnectionState]], report: Report, *, settle: timedelta = DEFAULT_SETTLE
    ):
        self._states = states
        self._report = report
        self._settle = settle
        self._links: dict[str, _Link] = {}

    def observe(self, now: datetime) -> None:
        """Look at every link once: log what changed, write what has settled."""
        for key, state in self._states().items():
            link = self._links.setdefault(key, _Link())
            if state is not link.state:
                self._log_change(key, link, state, now)
                link.state, link.since = state, now
            if link.reported is not state and link.since is not None and now - link.since >= self._settle:
                status, detail = _STATUS[state]
                try:
                    written = self._report(key, status, detail, now)
                except Exception:  # reporting must never stop the bridge; the next look tries again
                    log.exception("link status of %s could not be queued", key, extra={"system": key})
                    written = False
                if written:
                    link.reported = state

    @staticmethod
    def _log_change(key: str, link: _Link, state: ConnectionState, now: datetime) -> None:
        extra = {"system": key, "operation": "link"}
        if state is ConnectionState.CONNECTED:
            if link.lost_at is not None:
                log.info("link to the PBX is back (down %.0f s)", (now - link.lost_at).total_seconds(), extra=extra)
            link.lost_at = None
        elif link.state is ConnectionState.CONNECTED:
            link.lost_at = now
            log.warning("link to the PBX lost (%s)", state.value, extra=extra)
        elif state is ConnectionState.AUTH_FAILED:
            log.warning("link to the PBX stopped: credentials refused", extra=extra)
