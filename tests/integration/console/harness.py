"""A console server on loopback in a background event loop, for the HTTP and browser tests."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

from bridge.console.cards import CardService
from bridge.console.live import LiveView
from bridge.console.server import ConsoleServer

from ...unit.bridge.console.builders import (
    AGENT_A,
    FakePort,
    contact_match,
    settings,
    system,
)


class RunningConsole:
    """Starts a ConsoleServer on an ephemeral port in its own thread; ``call(fn)`` runs fn on its loop."""

    def __init__(
        self,
        *,
        card_source: Callable[[str, str], dict[str, Any]] | None = None,
        matcher: Callable | None = None,
        diagnostics: Any = None,
        **overrides,
    ):
        self.port_calls = FakePort()
        self.loop = asyncio.new_event_loop()
        self.live = LiveView(
            org_url="https://contoso.crm4.dynamics.com",
            matcher=matcher or (lambda r, s: contact_match(AGENT_A)),
            user_names={u.user_id: u.name for u in settings().users},
        )
        self.live.set_systems([system()])
        cards = CardService(card_source) if card_source else None
        self.server = ConsoleServer(
            settings(**overrides),
            self.live,
            commands=self.port_calls,
            cards=cards,
            health_snapshot=lambda: {"connections": [{"name": "pbx1", "state": "connected"}], "outbox": {"depth": 0}},
            health_interval_s=0.2,
            diagnostics=diagnostics,
        )
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    def __enter__(self) -> RunningConsole:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.server.start(), self.loop).result(5)
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.server.stop(), self.loop).result(5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()

    @property
    def url(self) -> str:
        return self.server.url

    def call(self, fn: Callable[[], Any]) -> Any:
        async def run() -> Any:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(5)
