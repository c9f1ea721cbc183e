"""The AMI emulator on its own event loop in a background thread, for tests that run the bridge as a subprocess."""

from __future__ import annotations

import asyncio
import threading

from emulator.ami import AmiServer


class AmiInThread:
    def __init__(self, *, speed: float = 1.0):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="ami-emulator", daemon=True)
        self._speed = speed
        self._hangup: asyncio.Event | None = None
        self.server: AmiServer | None = None

    def __enter__(self) -> AmiInThread:
        self._thread.start()
        self.server = self._call(AmiServer(dialect="modern", speed=self._speed).start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._call(self.server.stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    @property
    def port(self) -> int:
        return self.server.port

    def play(self, scenario: str, *, hold_hangup: bool = False, timeout_s: float = 30) -> None:
        """Play ``scenario`` to every logged-in client and wait until its last event was sent. With
        ``hold_hangup`` the call stays up until :meth:`hang_up` (the test decides when, not a clock)."""
        self._call(self._play(scenario, hold_hangup), timeout_s)

    def hang_up(self) -> None:
        """Let a call played with ``hold_hangup`` hang up now."""
        self._call(self._release())

    async def _play(self, scenario: str, hold_hangup: bool) -> None:
        self._hangup = asyncio.Event() if hold_hangup else None
        await self.server.play(scenario, hangup_after=self._hangup)

    async def _release(self) -> None:
        if self._hangup is not None:
            self._hangup.set()

    def _call(self, coroutine, timeout_s: float = 30):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout_s)
