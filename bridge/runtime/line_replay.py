"""SMDR lines read but never fully processed, replayed at the next start (issue 11, §2).

The raw journal commits every SMDR line before it is parsed (:mod:`bridge.runtime.raw_journal`), so a
``kill -9`` never loses a line the bridge read; it may still come between the journal write and the
moment the line's call updates are stored, leaving the call open until the grace period ends it with an
estimated end. :class:`LineReplay` closes that gap. The connector reports each line once its events were
handed on, with its pairing as it stood right after the line; in the background the replay then waits
until every call update handed on so far is on disk (the outbox and the open-call file), saves that
pairing and marks the lines processed, in this order. At the next start the lines never marked are
parsed again before anything new is read:

- a line whose updates were stored but whose pairing was not saved comes back with the same call id
  (ids derive from the record and the pairing before it), so its upserts repeat the same phone call;
- a line the saved pairing already holds is dropped as re-sent, and its updates were stored before that
  pairing was saved.

So a restart neither loses nor doubles such a line.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from bridge.calls.pairing import PairingFile
from bridge.outbox.writer import RETRY_MAX_S, RETRY_MIN_S
from bridge.runtime.raw_journal import RawJournal

log = logging.getLogger(__name__)


class ReplayableConnector(Protocol):
    """A connector that replays journalled lines and reports each line done (the SMDR connector)."""

    on_frame_done: Callable[[int, dict[str, Any]], None] | None

    def replay(self, frames: list[tuple[int, str]]) -> int: ...


class LineReplay:
    """Marks ``system``'s journalled lines processed once their call updates are stored; replays the rest.

    ``journal`` opens the raw journal (at the start, not when the bridge is built); ``stored`` blocks until
    every call update handed on so far is on disk; ``pairing`` is the file the connector's pairing is kept in.
    """

    def __init__(
        self,
        system: str,
        connector: ReplayableConnector,
        journal: Callable[[], RawJournal],
        stored: Callable[[], None],
        pairing: PairingFile,
        *,
        pause: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.system = system
        self._pause = pause
        self._connector = connector
        self._journal = journal
        self._stored = stored
        self._pairing = pairing
        self._done: list[int] = []
        self._pairing_after: dict[str, Any] | None = None
        self._task: asyncio.Task | None = None
        self._closing = False
        self.replayed = 0

    async def start(self) -> int:
        """After the saved pairing was restored, before the connector runs: queue the lines left unprocessed,
        and from now on settle each line the connector reports done. Returns how many were replayed."""
        self._connector.on_frame_done = self._frame_done
        try:
            frames = await asyncio.to_thread(lambda: self._journal().unprocessed(self.system))
        except (OSError, sqlite3.Error) as exc:  # the link still starts; its first line meets the same error
            log.error(
                "the raw journal could not be read (%s); lines left unprocessed by the last stop are not replayed",
                exc,
                extra={"system": self.system, "operation": "replay"},
            )
            return 0
        self.replayed = self._connector.replay([(frame.id, frame.text) for frame in frames]) if frames else 0
        if self.replayed:
            log.info(
                "%d SMDR line(s) read before the last stop were not fully processed; replaying them",
                self.replayed,
                extra={"system": self.system, "operation": "replay"},
            )
        return self.replayed

    async def close(self) -> None:
        """At stop, after the last events were handed on: settle what is left, trying once more at most (a
        line that cannot be marked now is replayed at the next start)."""
        self._closing = True
        if self._task is not None:
            await self._task
        await self._settle()

    def _frame_done(self, frame_id: int, pairing: dict[str, Any]) -> None:
        self._done.append(frame_id)
        self._pairing_after = pairing
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._settle(), name=f"lines-{self.system}")

    async def _settle(self) -> None:
        wait = RETRY_MIN_S
        while self._done:
            ids, pairing, self._done = self._done, self._pairing_after, []
            try:
                settled = await asyncio.to_thread(self._settle_now, ids, pairing)
            except Exception as exc:  # a full disk: tried again; meanwhile a restart would replay them
                log.warning("SMDR lines could not be marked processed: %s", exc, extra={"system": self.system})
                settled = False
            if settled:
                wait = RETRY_MIN_S
                continue
            self._done = ids + self._done  # with the newest pairing, once the disk takes it
            if self._closing:
                return
            await self._pause(wait)
            wait = min(wait * 2, RETRY_MAX_S)

    def _settle_now(self, ids: list[int], pairing: dict[str, Any] | None) -> bool:
        self._stored()
        if pairing is not None and not self._pairing.save(pairing):
            return False  # without the pairing on disk, a replay must give these lines their events again
        self._journal().mark_processed(ids)
        return True
