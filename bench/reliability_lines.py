"""The PBX side of the reliability probe: an AMI server and an SMDR console that place numbered calls.

Every call gets its own external number, so the probe can find it in Dataverse whatever call id the
bridge gave it. Each placed call notes when its first and last event or record went out to a logged-in
bridge, and how many of them did; the probe uses these to tell a call that was on the wire when the
bridge was killed from one the bridge lost.

The AMI server sends an event to the clients logged in at that moment, as Asterisk does: a call that
starts and ends while the bridge is down reaches nobody by AMI. Like an Asterisk with ``cdr_manager`` and
``cdr_csv`` loaded, it also sends a ``Cdr`` event at each call's end and appends its row to ``Master.csv``
(:mod:`bench.reliability_cdr`), from which the bridge recovers such calls. The SMDR console holds the records it prints
while nobody is logged in and prints them at the next login (without that a record printed while the
bridge restarts is gone on the PBX side, whatever the bridge does).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.reliability_cdr import CdrBook
from emulator.ami import AmiServer, playbook
from emulator.ami.scenarios import DID, TRUNK, Script, Step
from emulator.smdr import SmdrServer

RING_S, TALK_S = 0.3, 1.0  # an AMI call's ring and talk time; an SMDR final record follows its ring record after TALK_S


@dataclass
class PlacedCall:
    """One call the probe placed: its number and what of it reached a logged-in bridge, and when."""

    link: str
    number: str
    inbound: bool
    placed_at: float
    first_sent: float | None = None
    last_sent: float | None = None
    sent: int = 0  # events (AMI) or records (SMDR) that reached a logged-in bridge
    parts: int = 0  # events or records the call has in all
    done: bool = False
    trail: list[tuple[float, str, bool]] = field(default_factory=list)  # (time, event or record, delivered)

    def note_sent(self, delivered: bool, what: str = "") -> None:
        self.parts += 1
        self.trail.append((time.time(), what, delivered))
        if delivered:
            now = time.time()
            self.first_sent = self.first_sent or now
            self.last_sent = now
            self.sent += 1


class ProbeAmi(AmiServer):
    """The AMI emulator playing one numbered call at a time per :meth:`place`, with its CDRs in ``cdr_book``."""

    cdr_book: CdrBook | None = None

    def place(self, call: PlacedCall) -> asyncio.Task:
        builder = functools.partial(_inbound if call.inbound else playbook.outbound, number=call.number)
        return self._spawn(self._play_call(call, self._script(builder)))

    async def _play_call(self, call: PlacedCall, steps: list[Step]) -> None:
        for step in steps:
            if step.delay_s:
                await asyncio.sleep(step.delay_s / self.speed)
            cdrs = self._track(step.headers)
            if self.cdr_book is not None:
                self.cdr_book.follow(step.headers)
                cdrs = [self.cdr_book.complete(cdr) for cdr in cdrs]
            for headers in [step.headers, *cdrs]:
                delivered = any(client.events for client in self._clients)
                self.broadcast([*headers, ("Timestamp", f"{time.time():.6f}")])
                call.note_sent(delivered, dict(headers).get("Event", "?"))
        call.done = True


def _inbound(s: Script, *, number: str) -> None:
    """An inbound call from ``number`` answered at 101 after RING_S, talking TALK_S."""
    trunk = s.leg(TRUNK, context="from-trunk", exten=DID, cid_num=number)
    ext = s.leg("101", context="from-internal", exten="", cid_num="101", linked_to=trunk)
    s.dial(trunk, ext, "PJSIP/101")
    s.emit(RING_S, "Newstate", [("Channel", ext.name), ("ChannelState", "5"), ("Uniqueid", ext.uniqueid)])
    playbook.answer_ringing(s, trunk, ext, extension="101", talk_s=TALK_S)


class ProbeSmdr(SmdrServer):
    """The NS500 SMDR console printing numbered calls: inbound as a ring record then a final record,
    outbound as one record; records printed while nobody is logged in wait for the next login."""

    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)
        self._held: list[tuple[PlacedCall, str]] = []
        self._lock = asyncio.Lock()

    def place(self, call: PlacedCall) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(self._place(call))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _place(self, call: PlacedCall) -> None:
        at = datetime.now(UTC)
        if call.inbound:
            await self._print(call, _line(at, "", f"<I>{call.number}", ring="0'00", cd="RC"))
            await asyncio.sleep(TALK_S)
            await self._print(call, _line(at, "101", f"<I>{call.number}", ring="0'03", duration="00:00'12"))
        else:
            await self._print(call, _line(at, "101", call.number, ring="", duration="00:00'21"))
        call.done = True

    async def _print(self, call: PlacedCall, line: str) -> None:
        async with self._lock:
            self._held.append((call, line))
            await self._flush()

    async def flush_held(self) -> None:
        """Print what waited for a login, if a bridge is logged in now."""
        async with self._lock:
            await self._flush()

    async def _flush(self) -> None:
        if not self._clients or not self._held:
            return
        held, self._held = self._held, []
        with contextlib.suppress(ConnectionError):
            await self.send_lines([line for _, line in held])
        for call, line in held:
            call.note_sent(True, line.split()[-1] if line.rstrip().endswith("RC") else "final")

    def count_held(self) -> int:
        return len(self._held)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await super()._serve(reader, writer)
        finally:  # a bridge that went away is no longer logged in (the console forgets it at once)
            self._clients = [client for client in self._clients if client.writer is not writer]


def _line(at: datetime, ext: str, dial: str, *, ring: str, duration: str = "", cd: str = "") -> str:
    """A KX-NS500 SMDR record, date month first, as in the demo's console."""
    clock = at.strftime("%I:%M%p").lstrip("0")
    return f"{at:%m/%d/%y} {clock:>7} {ext:>5} 01 {dial:<25} {ring:>4} {duration:>8} {'':<10} {cd:<2}"
