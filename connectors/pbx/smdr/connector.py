"""Panasonic SMDR as a :class:`~connectors.pbx.base.PbxConnector`, fed by a serial port or the KX-NS TCP console.

(CALL-01, -14, -21.) Each line goes to ``on_frame`` with its receive time
*before* it is parsed: KX-TES / TEM / TA clear their SMDR buffer once printed,
so the bridge persists the raw line first (outbox / quarantine) and a crash
after that loses nothing. A hook that raises stops :meth:`SmdrConnector.run`
before the line is parsed. Lines the parser cannot read are kept in
``bad_frames``, handed to ``on_bad_frame`` and logged with the system key;
they are never fatal. SMDR only reports, so the commands raise
:class:`RejectedError`.

When the TCP console logs in again (its ``logins`` count grows), the PBX may
print its buffer again: the assembler is told (``link_restarted``) so the
re-sent records are dropped, and a line the old session left unfinished is
framed on its own. :meth:`SmdrConnector.pairing_snapshot` /
:meth:`SmdrConnector.restore_pairing` carry the pairing of inbound records
across a bridge restart.

When ``on_frame`` returns an id (the journal's row), the connector reports
back through ``on_frame_done(id, pairing)`` once every event of that line was
handed on by :meth:`SmdrConnector.events`, with the pairing as it stood right
after the line: saved together with the stored events, it never runs ahead of
them. :meth:`SmdrConnector.replay` takes, before :meth:`SmdrConnector.run`,
the journalled lines a ``kill -9`` left unprocessed; a replayed line the
saved pairing already holds is dropped as re-sent (issue 11, §2).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Protocol

from connectors.pbx.base import ConnectionReport, ConnectionState, ReportOnlyCommands, call_hook
from connectors.pbx.smdr.calls import SmdrCallAssembler
from connectors.pbx.smdr.framer import BadFrame, Frame, LineFramer
from connectors.pbx.smdr.parser import SmdrRecord, parse_line
from connectors.pbx.smdr.profile import SmdrProfile
from connectors.pbx.transport.serial_link import ByteSink
from domain.calls.events import CallEvent

log = logging.getLogger(__name__)

FrameHook = Callable[[Frame, datetime], Awaitable[int | None] | int | None]
BadFrameHook = Callable[[BadFrame, datetime], Awaitable[None] | None]
#: ``(frame id, pairing right after it)``: every event of the line was handed on.
FrameDoneHook = Callable[[int, dict[str, Any]], None]


@dataclass(frozen=True)
class _FrameDone:
    """Queued after a line's events: what :meth:`SmdrConnector.events` reports once they were handed on."""

    frame_id: int
    pairing: dict[str, Any]


class ByteSource(Protocol):
    """A transport: :class:`~connectors.pbx.transport.SerialLink` or :class:`~connectors.pbx.smdr.tcp.SmdrTcpLink`."""

    state: ConnectionState

    async def run(self, sink: ByteSink) -> None: ...

    async def stop(self) -> None: ...

    async def probe(self) -> ConnectionReport: ...


class SmdrConnector(ReportOnlyCommands):
    """One Panasonic PBX's SMDR. Build one per telephony system; call :meth:`run` in one supervised task.

    ``strip_telnet`` should be True for the TCP console. ``encoding`` is what
    the PBX prints names in (``utf-8`` unless the site says otherwise).
    """

    unsupported_message = "SMDR only reports calls; this PBX cannot be controlled through it"
    unsupported_reason = "not supported over SMDR"

    kind: ClassVar[str] = "panasonic-smdr"

    def __init__(
        self,
        system: str,
        source: ByteSource,
        profile: SmdrProfile,
        *,
        on_frame: FrameHook | None = None,
        on_bad_frame: BadFrameHook | None = None,
        strip_telnet: bool = False,
        encoding: str = "utf-8",
        kept_bad_frames: int = 100,
    ):
        self.system = system
        self._source = source
        self._profile = profile
        self._framer = LineFramer(encoding=encoding, strip_telnet=strip_telnet)
        self._assembler = SmdrCallAssembler(system, profile)
        self._on_frame, self._on_bad_frame = on_frame, on_bad_frame
        self._queue: asyncio.Queue[CallEvent | _FrameDone] = asyncio.Queue()
        #: Told ``(frame id, pairing)`` once the events of a line ``on_frame`` gave an id to were handed on.
        self.on_frame_done: FrameDoneHook | None = None
        self.bad_frames: deque[BadFrame] = deque(maxlen=kept_bad_frames)
        self._logins_seen: int | None = None

    @property
    def state(self) -> ConnectionState:
        return self._source.state

    @property
    def telnet_resyncs(self) -> int:
        """Telnet sub-negotiations given up on this link so far (a metric for the bridge)."""
        return self._framer.telnet_resyncs

    def pairing_snapshot(self) -> dict[str, Any]:
        """Open inbound calls and recent records, JSON-ready: persist it and :meth:`restore_pairing` it
        after a restart, so a call whose records span the restart is logged once."""
        return self._assembler.snapshot()

    def restore_pairing(self, snapshot: Any) -> None:
        """Before :meth:`run`: take over a saved :meth:`pairing_snapshot`; ``ValueError`` if unreadable."""
        self._assembler.restore(snapshot)

    def replay(self, frames: Iterable[tuple[int, str]]) -> int:
        """Before :meth:`run`, after :meth:`restore_pairing`: parse again ``(frame id, text)`` lines journalled
        but never reported done; their events come first. Returns how many were queued."""
        count = 0
        for frame_id, text in frames:
            parsed = parse_line(text, self._profile)
            if isinstance(parsed, SmdrRecord):
                for event in self._assembler.feed(parsed):
                    self._queue.put_nowait(event)
            self._queue.put_nowait(_FrameDone(frame_id, self._assembler.snapshot()))
            count += 1
        self._assembler.link_restarted()  # the PBX may still print its buffer again after them
        return count

    async def run(self) -> None:
        """Read until :meth:`stop`; ``AuthError`` when the TCP console refuses the password."""
        await self._source.run(self._receive)

    async def stop(self) -> None:
        await self._source.stop()

    async def events(self) -> AsyncIterator[CallEvent]:
        """Every CallEvent, in the order the PBX printed its records."""
        while True:
            item = await self._queue.get()
            if isinstance(item, _FrameDone):
                if self.on_frame_done is not None:  # the consumer handled the events before it asked again
                    self.on_frame_done(item.frame_id, item.pairing)
                continue
            yield item

    async def test_connection(self) -> ConnectionReport:
        return await self._source.probe()

    async def _receive(self, data: bytes, received_at: datetime) -> None:
        if self._is_new_login():
            for frame in self._framer.flush():  # the old session's unfinished line stands alone
                await self._handle(frame, received_at)
            self._assembler.link_restarted()
        for frame in self._framer.feed(data):
            await self._handle(frame, received_at)

    def _is_new_login(self) -> bool:
        logins = getattr(self._source, "logins", None)  # only the TCP console logs in
        is_new = self._logins_seen is not None and logins != self._logins_seen
        self._logins_seen = logins
        return is_new

    async def _handle(self, frame: Frame, received_at: datetime) -> None:
        frame_id = await _result_of(self._on_frame, frame, received_at)
        parsed = parse_line(frame.text, self._profile)
        if isinstance(parsed, BadFrame):
            self.bad_frames.append(parsed)
            log.warning(
                "SMDR line not understood: %s", parsed.reason, extra={"system": self.system, "operation": "parse"}
            )
            await call_hook(self._on_bad_frame, parsed, received_at)
        elif isinstance(parsed, SmdrRecord):
            for event in self._assembler.feed(parsed):
                self._queue.put_nowait(event)
        if isinstance(frame_id, int) and self.on_frame_done is not None:
            self._queue.put_nowait(_FrameDone(frame_id, self._assembler.snapshot()))


async def _result_of(hook: FrameHook | None, frame: Frame, received_at: datetime) -> object:
    """What the optional ``on_frame`` hook (plain or coroutine function) returned."""
    if hook is None:
        return None
    result = hook(frame, received_at)
    return await result if inspect.isawaitable(result) else result
