"""Auto-registration plug-in (CALL-17): line and extension rows for what the PBX reports and the CRM does not
know yet, when the system's row turns it on, as the :class:`~bridge.calls.autoregister.AutoRegistrar`
listener."""

from __future__ import annotations

from typing import Any

from bridge.calls.autoregister import AutoRegistrar
from bridge.plugins.crm import crm_context


def from_bridge(bridge: Any) -> None:
    context = crm_context(bridge)
    bridge.add_listener(AutoRegistrar(bridge.outbox, context.environments, context.crms), "auto-register")
