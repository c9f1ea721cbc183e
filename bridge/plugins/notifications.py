"""Notifications plug-in (CALL-05): missed / waiting-call app notifications to the users the system's row
names, as the :class:`~bridge.calls.notifications.CallNotifier` listener."""

from __future__ import annotations

from typing import Any

from bridge.calls.notifications import CallNotifier
from bridge.plugins.crm import crm_context


def from_bridge(bridge: Any) -> None:
    context = crm_context(bridge)
    bridge.add_listener(CallNotifier(bridge.outbox, context.environments, context.crms), "notifications")
