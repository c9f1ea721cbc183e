"""Release announcements plug-in (CALL-44): with ``[updates]``, check the signed release feed now and then and
show the result on ``/healthz`` and in the console; see :mod:`bridge.runtime.updates`."""

from __future__ import annotations

import logging
from typing import Any

from bridge.runtime.updates import UpdateChecker
from bridge.runtime.version import bridge_version

log = logging.getLogger(__name__)


def from_bridge(bridge: Any) -> None:
    settings = bridge.config.updates
    if settings is None:
        log.info("release announcements are off: no [updates] table")
        return None
    checker = UpdateChecker(settings, bridge_version())
    bridge.updates = checker
    bridge.add_task("updates", checker.run)
    return None
