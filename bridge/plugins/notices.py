"""Notices and auto-registration plug-in (CALL-05, CALL-17): missed / waiting-call app notifications, and
line and extension rows for what the PBX reports and the CRM does not know yet (when the system's row
turns it on)."""

from __future__ import annotations

from typing import Any

from bridge.calls.autoregister import AutoRegistrar
from bridge.calls.notifications import CallNotifier
from bridge.plugins.crm import crm_context


def from_bridge(bridge: Any) -> None:
    context = crm_context(bridge)
    bridge.add_listener(CallNotifier(bridge.outbox, context.environments, context.crms), "notifications")
    bridge.add_listener(AutoRegistrar(bridge.outbox, context.environments, context.crms), "auto-register")
