"""Call logging plug-in: every call change that matters becomes a phone-call upsert in each environment
the system writes to (CALL-01, -07, -08, -14, -15, -18, -26); see :mod:`bridge.calls.logger`."""

from __future__ import annotations

import weakref
from typing import Any

from bridge.calls.logger import CallLogger
from bridge.calls.sharing import ResponsibleSharing
from bridge.click_to_call.links import links_for
from bridge.plugins.crm import crm_context


def from_bridge(bridge: Any) -> CallLogger:
    context = crm_context(bridge)
    recovery = getattr(bridge, "recovery", None)
    console = bridge.config.console
    # A form the console opens on connect (CALL-36) needs its record there: such a site writes early.
    opens_forms = console is not None and console.open_call_form
    logger = CallLogger(
        bridge.outbox,
        context.environments,
        context.crms,
        logged_before_restart=recovery.was_restored if recovery is not None else lambda s, c: False,
        unclassified={key: system.unclassified for key, system in bridge.config.systems.items()},
        early_write={key: system.early_write or opens_forms for key, system in bridge.config.systems.items()},
        sharing=sharing_of(bridge),
    )
    logger.on_logged.append(links_for(bridge).logged)  # a click-to-call request row links to its phone call
    return logger


_SHARING: weakref.WeakKeyDictionary[Any, ResponsibleSharing] = weakref.WeakKeyDictionary()


def sharing_of(bridge: Any) -> ResponsibleSharing:
    """The bridge's one :class:`ResponsibleSharing` (CALL-41): the logger shares, the console reads whom with."""
    sharing = _SHARING.get(bridge)
    if sharing is None:
        sharing = _SHARING[bridge] = ResponsibleSharing(crm_context(bridge).clients)
        bridge.on_shutdown(sharing.close, "call sharing")
    return sharing
