"""Number index plug-in: load each environment's phone numbers at start, then ask for changes every
``[matching] refresh_s`` (CALL-02, CALL-04).

The first load runs as soon as the bridge starts; until it finishes, calls are
logged without a match. A failed round is logged and retried at the next
interval; the index in memory stays as it was.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bridge.plugins.crm import crm_context
from services.matching.sync import NumberSync

log = logging.getLogger(__name__)


async def keep_in_step(syncs: dict[str, NumberSync], interval_s: float) -> None:
    """Refresh every index now, then every ``interval_s``, until cancelled."""
    while True:
        for name, sync in syncs.items():
            try:
                report = await asyncio.to_thread(sync.refresh_now)
            except Exception as exc:
                log.warning("number index of %s not refreshed: %s", name, exc, extra={"environment": name})
                continue
            changed = sum(report.indexed.values()) + sum(report.removed.values())
            if changed or report.reloaded:
                log.info(
                    "number index of %s: %d record(s) re-indexed, %d removed",
                    name,
                    sum(report.indexed.values()),
                    sum(report.removed.values()),
                    extra={"environment": name},
                )
        await asyncio.sleep(interval_s)


def from_bridge(bridge: Any) -> None:
    context = crm_context(bridge)
    if not context.numbers:
        log.info("number matching is off ([matching] enabled = false); calls are logged without a contact")
        return
    interval = bridge.config.matching.refresh_s
    bridge.add_task("number-index", lambda: keep_in_step(context.numbers, interval))
