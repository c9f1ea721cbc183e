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

    def play(self, scenario: str) -> None:
        """Play ``scenario`` to every logged-in client and wait until its last event was sent."""
        self._call(self._play(scenario))

    async def _play(self, scenario: str) -> None:
        await self.server.play(scenario)

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)
