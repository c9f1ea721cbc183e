"""One fax server's worker: send, track and receive on their own intervals, each round in a thread.

The services are synchronous; each round runs through ``asyncio.to_thread``
so a slow fax server or Dataverse never holds the event loop. A round that
fails (server or Dataverse unreachable) is logged and tried again at the next
interval; nothing is lost, because a claimed fax stays claimed and a received
fax stays on the server until Dataverse has it.

:meth:`FaxWorker.push` sends one fax a Dataverse webhook named
(``bridge/fax/push.py``); it and the send round take turns (one lock), so the
server's connection and the sender are never used by two threads at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from bridge.config.fax import FaxServerConfig
from connectors.errors import ConnectorError
from services.fax.directory import FaxDirectory
from services.fax.receiving import FaxReceiver
from services.fax.sending import FaxSender, PushResult
from services.fax.tracking import FaxTracker

log = logging.getLogger(__name__)


class FaxWorker:
    """Runs one server's sender, tracker and receiver until :meth:`stop`."""

    def __init__(
        self,
        config: FaxServerConfig,
        client,
        sender: FaxSender,
        tracker: FaxTracker,
        receiver: FaxReceiver | None,
        *,
        refresh_numbers: Callable[[], object] | None = None,
    ):
        self.config, self.client = config, client
        self.sender, self.tracker, self.receiver = sender, tracker, receiver
        self.refresh_numbers = refresh_numbers
        self._stopping = asyncio.Event()
        self._due = {"send": 0.0, "status": 0.0, "receive": 0.0}
        #: Rounds finished (failed ones included) by name, since the worker started.
        self.rounds_done = dict.fromkeys(self._due, 0)
        self._sending = asyncio.Lock()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        polling = self.config.polling
        intervals = {
            "send": polling.send_interval_s,
            "status": polling.status_interval_s,
            "receive": polling.receive_interval_s,
        }
        while not self._stopping.is_set():
            now = loop.time()
            for name, interval in intervals.items():
                if now >= self._due[name]:
                    self._due[name] = now + interval
                    await self._guarded(name, self.round(name))
                    self.rounds_done[name] += 1
            wait = max(0.0, min(self._due.values()) - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), wait)

    async def stop(self) -> None:
        self._stopping.set()

    async def push(self, fax_id: str) -> PushResult:
        """Send one pushed fax now, if it is Pending and this server's; Dataverse errors propagate."""
        async with self._sending:
            directory = await asyncio.to_thread(FaxDirectory.load, self.client, [self.config.key])
            return await asyncio.to_thread(self.sender.send_pushed, fax_id, directory)

    async def round(self, name: str) -> object:
        """One send, status or receive round, in a thread."""
        key = self.config.key
        if name == "send":
            async with self._sending:
                directory = await asyncio.to_thread(FaxDirectory.load, self.client, [key])
                return await asyncio.to_thread(self.sender.run_once, directory)
        if name == "status":
            return await asyncio.to_thread(self.tracker.run_once)
        if self.receiver is None:
            return None
        directory = await asyncio.to_thread(FaxDirectory.load, self.client, [key])
        entry = directory.by_key(key)
        if entry is not None and not entry.receive_enabled:
            return None
        if self.refresh_numbers is not None:
            await asyncio.to_thread(self.refresh_numbers)
        return await asyncio.to_thread(self.receiver.run_once, entry)

    async def _guarded(self, name: str, step) -> None:
        try:
            await step
        except ConnectorError as exc:
            log.warning(
                "fax %s round on %s: %s",
                name,
                self.config.key,
                exc,
                extra={"system": self.config.key, "operation": f"fax-{name}"},
            )
