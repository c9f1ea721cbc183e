"""Release announcements and automatic installs plug-in (CALL-44).

With ``[updates]``, check the signed release feed now and then and show the result on ``/healthz`` and in the
console (:mod:`bridge.runtime.updates`). With ``install = "auto"`` as well, take a newer release inside the
maintenance window (:mod:`bridge.runtime.updates_take`) and stop with
:data:`~bridge.runtime.service.RESTART_STATUS`, so the service manager starts the new version.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from bridge.runtime.service import RESTART_STATUS
from bridge.runtime.updates import UpdateChecker
from bridge.runtime.updates_take import AutoInstaller, Installer
from bridge.runtime.version import bridge_version

log = logging.getLogger(__name__)


def from_bridge(bridge: Any) -> None:
    settings = bridge.config.updates
    if settings is None:
        log.info("release announcements are off: no [updates] table")
        return None
    checker = UpdateChecker(settings, bridge_version())
    bridge.updates = checker
    if settings.install != "auto":
        bridge.add_task("updates", checker.run)
        return None

    def restart_into(version: str) -> None:
        bridge.exit_status = RESTART_STATUS
        bridge.request_stop(f"CommSuite {version} installed; restarting into it")

    installer = Installer(settings, bridge_version(), Path(bridge.config.path))
    auto = AutoInstaller(checker, installer, restart_into)
    bridge.add_task("updates", checker.run)
    bridge.add_task("updates-install", auto.run)
    log.info("automatic updates are on: inside %s local time", settings.window)
    return None
