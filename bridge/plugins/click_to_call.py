"""Click-to-call plug-in: one :class:`~bridge.click_to_call.intake.ClickToCallIntake` per environment, as a
background task (CALL-16, -17, -29, -31). On when ``[click_to_call]`` is in the file."""

from __future__ import annotations

import logging
from typing import Any

from bridge.click_to_call.intake import ClickToCallIntake
from bridge.click_to_call.links import links_for
from bridge.plugins.crm import crm_context
from services.factory import dataverse_client

log = logging.getLogger(__name__)


def from_bridge(bridge: Any) -> None:
    if not bridge.config.click_to_call:
        log.info("click-to-call is off: no [click_to_call] table (or enabled = false)")
        return
    context = crm_context(bridge)
    for settings in bridge.config.click_to_call:
        environment = settings.environment
        served = [key for key, s in bridge.config.systems.items() if environment in s.environments]

        def systems(environment: str = environment, served: list[str] = served) -> list[Any]:
            return [context.settings_in(environment, bridge.fallback_settings.settings_for(key)) for key in served]

        # No client-side retry: a claim or an originate must never be sent twice behind the intake's back.
        client = dataverse_client(bridge.config.environments[environment].dataverse, retry=False)
        intake = ClickToCallIntake(
            settings,
            client=client,
            outbox=bridge.outbox,
            systems=systems,
            connector_for=bridge.connectors.get,
            links=links_for(bridge),
        )
        bridge.add_task(f"click-to-call-{environment}", intake.run)
        log.info("click-to-call requests taken from %s", environment, extra={"environment": environment})
