"""Notifications plug-in (CALL-05): missed / waiting-call notices to the users the system's row names, as the
:class:`~bridge.calls.notifications.CallNotifier` listener; written as ``[notices] kind`` says, else as each
environment's server offers (:class:`~bridge.calls.notice_kinds.NoticeKindResolver`)."""

from __future__ import annotations

import functools
from typing import Any

from bridge.calls.notice_kinds import NoticeKindResolver
from bridge.calls.notifications import CallNotifier
from bridge.plugins.crm import crm_context


def from_bridge(bridge: Any) -> None:
    context = crm_context(bridge)
    features = {name: functools.partial(getattr, client, "features") for name, client in context.clients.items()}
    kind_of = NoticeKindResolver(bridge.config.notices.kind, features)
    bridge.add_listener(CallNotifier(bridge.outbox, context.environments, context.crms, kind_of), "notifications")
