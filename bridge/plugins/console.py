"""Console plug-in: live calls and pop-ups for the browsers (LiveView listener + ConsoleServer task), with
dial, answer and listen / whisper carried out on the PBX, and the admin diagnostics (CALL-03, -05, -06, -09, -29,
-30, -31, -33, -34, -39).

On when ``[console]`` is in the file. Callers are matched with the number index
of each system's first environment; cards are read from that environment.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import uuid
from typing import Any

from bridge.click_to_call.dial import NO_LINK_ERROR, spy
from bridge.console.cards import CardService, dataverse_card_source
from bridge.console.live import LiveView, index_matcher
from bridge.console.server import ConsoleServer
from bridge.plugins.call_logging import sharing_of
from bridge.plugins.console_diagnostics import BridgeDiagnostics
from bridge.plugins.crm import CrmContext, crm_context
from connectors.errors import RejectedError
from domain.calls.system_settings import TelephonySystemSettings
from domain.numbers import dial_string, normalise

log = logging.getLogger(__name__)


class BridgeCommands:
    """The console's :class:`~bridge.console.CommandPort` over the bridge's running connectors."""

    def __init__(self, bridge: Any, *, ring_timeout_s: float = 30.0):
        self._bridge = bridge
        self._ring_timeout_s = ring_timeout_s

    def _system(self, system_key: str) -> TelephonySystemSettings:
        found = self._bridge.settings.settings_for(system_key)
        return found or self._bridge.fallback_settings.settings_for(system_key)

    def _connector(self, system_key: str) -> Any:
        try:
            return self._bridge.connector(system_key)
        except KeyError:
            raise RejectedError(NO_LINK_ERROR, system=system_key, operation="dial") from None

    async def dial(self, system_key: str, extension: str, number: str) -> None:
        """Ring ``extension``, then dial ``number`` as the system's plan says (prefix, national form)."""
        system = self._system(system_key)
        parsed = normalise(number, system.plan, dialled=True)
        if parsed is None:
            raise RejectedError(f"{number!r} is not a number that can be dialled", system=system_key, operation="dial")
        connector = self._connector(system_key)
        takes_context = "context" in inspect.signature(connector.originate).parameters
        extra = {"context": system.originate_context} if system.originate_context and takes_context else {}
        await connector.originate(
            extension,
            dial_string(parsed.e164, system.plan),
            timeout_s=self._ring_timeout_s,
            action_id=f"console-{uuid.uuid4().hex}",
            **extra,
        )

    async def answer(self, system_key: str, extension: str, channel: str) -> None:
        """Tell the phone ringing as ``extension`` (device ``channel`` when its CRM row names one) to pick up.

        Report-only links (SMDR, caller-ID boxes) refuse in plain words; the AMI link sends it once.
        """
        await self._connector(system_key).answer(
            extension, channel=channel or None, action_id=f"console-answer-{uuid.uuid4().hex}"
        )

    async def spy(self, system_key: str, supervisor_extension: str, target_channel: str, whisper: bool) -> None:
        """Ring the supervisor's extension, then listen to (or whisper into) ``target_channel``."""
        system = self._system(system_key)
        user = system.user_of(supervisor_extension)
        if user is None:
            raise RejectedError(
                f"extension {supervisor_extension} belongs to no user in the CRM", system=system_key, operation="spy"
            )
        outcome = await spy(
            supervisor_user_id=user,
            target=target_channel,
            system=system,
            connector=self._connector(system_key),
            may_supervise=True,
            whisper=whisper,
        )
        if not outcome.placed:
            raise RejectedError(outcome.reason, system=system_key, operation="spy")


def _index_for(context: CrmContext):
    def index_for(system_key: str):
        sync = context.numbers.get(context.home(system_key)) if system_key in context.config.systems else None
        return sync.index if sync is not None and sync.is_ready else None

    return index_for


def _health(bridge: Any):
    def snapshot() -> dict[str, Any]:
        updates = getattr(bridge, "updates", None)
        return {
            "systems": {key: worker.state.value for key, worker in bridge.workers.items()},
            "live_calls": len(bridge.tracker.live_calls()),
            "update": updates.status() if updates is not None else None,  # CALL-44
        }

    return snapshot


def from_bridge(bridge: Any) -> LiveView | None:
    settings = bridge.config.console
    if settings is None or not settings.enabled:
        log.info("the console is off: no [console] table (or enabled = false)")
        return None
    context = crm_context(bridge)
    first_env = next(iter(bridge.config.environments))
    org_url = settings.org_url or bridge.config.environments[first_env].dataverse.url
    live = LiveView(
        org_url=org_url,
        matcher=index_matcher(_index_for(context)),
        user_names={u.user_id: u.name for u in settings.users if u.name},
        history_size=settings.history_size,
        queue_size=settings.subscriber_queue_size,
        max_subscribers=settings.max_subscribers,
        open_form_on_answer=settings.open_call_form,
        responsible_for=sharing_of(bridge).responsible_for,
    )
    cards = CardService(dataverse_card_source(context.clients[first_env]), ttl_s=settings.card_ttl_s)
    server = ConsoleServer(
        settings,
        live,
        commands=BridgeCommands(bridge),
        cards=cards,
        health_snapshot=_health(bridge),
        diagnostics=BridgeDiagnostics(bridge.config, bridge.connector),
    )

    async def serve() -> None:
        await server.start()
        try:
            await asyncio.Event().wait()
        finally:
            await server.stop()

    bridge.add_task("console", serve)
    return live
