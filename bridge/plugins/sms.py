"""SMS plug-in: the SMS services on a site without Azure, when ``[sms]`` is in the file (issue 14, §4).

Builds the services through :func:`services.factory.build_services` from the
``[sms]`` table (:mod:`bridge.config.sms`), and runs their timers and webhook
endpoint as one background task (:class:`bridge.sms.host.SmsHost`). Provider
rows name their key's setting (*Credential Reference*); the daemon reads it
from its own environment, as the Functions app reads its app settings. If the
endpoint cannot listen (the port is taken), the daemon stops with an ERROR.
"""

from __future__ import annotations

import logging
import weakref
from pathlib import Path
from typing import Any

from bridge.runtime.holds import watch_hold
from bridge.sms.hold import FILE_NAME as HOLD_FILE
from bridge.sms.host import SmsHost

log = logging.getLogger(__name__)

_HOSTS: weakref.WeakKeyDictionary[Any, SmsHost] = weakref.WeakKeyDictionary()


def sms_host(bridge: Any) -> SmsHost | None:
    """The SMS part of ``bridge`` once its plug-ins are loaded; ``None`` without ``[sms]``."""
    return _HOSTS.get(bridge)


def from_bridge(bridge: Any) -> None:
    part = bridge.config.sms
    if part is None:
        log.info("SMS is off: no [sms] table")
        return
    hold = Path(bridge.config.bridge.outbox).with_name(HOLD_FILE)
    host = _HOSTS[bridge] = SmsHost(part, hold_path=hold)

    async def serve() -> None:
        try:
            await host.serve()
        except OSError as exc:
            log.error("the SMS endpoint cannot listen on %s: %s", part.listen, exc, extra={"operation": "listen"})
            bridge.request_stop("the SMS endpoint cannot listen")

    bridge.add_task("sms", serve)
    bridge.watch_dataverse(part.environment, host.services.dataverse.stats)  # its outages show on /healthz
    if host.hold is not None:  # texts held while Dataverse is down, and how long, too
        watch_hold(bridge, "sms_inbound", host.hold.figures, late_after_s=part.hold_late_after_s)
    log.info(
        "SMS services of %s hosted here: webhooks on %s, push %s",
        part.environment,
        part.listen,
        "on (/sms/push)" if part.push_key else "off (the sweep finds pending SMS)",
        extra={"environment": part.environment},
    )
