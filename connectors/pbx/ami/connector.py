"""The Asterisk AMI connector: one session, a dialect translator, commands (CALL-06, -21, -29, -30, -31).

``AmiConnector`` implements :class:`connectors.pbx.base.PbxConnector`. Events
read from the session are translated at once (so PBX order is kept) and queued
for :meth:`events`. After every login it resyncs: CoreShowChannels closes
calls that ended while the link was down, QueueStatus brings back waiting
callers, ExtensionStateList / DeviceStateList (Asterisk 13+) refresh the
dashboard.
"""

from __future__ import annotations

import asyncio
import logging
import random
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Mapping
from datetime import datetime
from typing import ClassVar

from connectors.errors import ConnectorError
from connectors.pbx.ami.cdr_catchup import CdrCatchUp
from connectors.pbx.ami.classify import event_time
from connectors.pbx.ami.commands import (
    answer_fields,
    answer_outcome,
    command_output,
    originate_fields,
    originate_outcome,
    spy_fields,
)
from connectors.pbx.ami.dialect_legacy import LegacyTranslator
from connectors.pbx.ami.dialect_modern import ModernTranslator
from connectors.pbx.ami.message import AmiMessage, BadFrame
from connectors.pbx.ami.session import AmiSession, LinkState
from connectors.pbx.ami.settings import AmiSettings, Dialect
from connectors.pbx.ami.translator import AmiTranslator, Snapshot
from connectors.pbx.base import CommandOutput, ConnectionReport, ConnectionState, OriginateResult, utc_now
from domain.calls.events import CallEvent, EventKind

log = logging.getLogger(__name__)

_STATES = {
    LinkState.STOPPED: ConnectionState.STOPPED,
    LinkState.CONNECTING: ConnectionState.CONNECTING,
    LinkState.CONNECTED: ConnectionState.CONNECTED,
    LinkState.BACKING_OFF: ConnectionState.BACKING_OFF,
    LinkState.AUTH_FAILED: ConnectionState.AUTH_FAILED,
}


def make_translator(settings: AmiSettings, *, modern: bool) -> AmiTranslator:
    """The translator for the configured dialect, or for the banner's when the dialect is AUTO."""
    if settings.dialect is Dialect.LEGACY or (settings.dialect is Dialect.AUTO and not modern):
        return LegacyTranslator(settings.system, settings.channels)
    return ModernTranslator(settings.system, settings.channels)


def _new_action_id() -> str:
    return uuid.uuid4().hex


class AmiConnector:
    """Asterisk over AMI. Build one per telephony system; call :meth:`run` in one supervised task."""

    kind: ClassVar[str] = "asterisk-ami"

    def __init__(
        self,
        settings: AmiSettings,
        *,
        clock: Callable[[], datetime] = utc_now,
        ids: Callable[[], str] = _new_action_id,
        rng: random.Random | None = None,
        on_bad_frame: Callable[[BadFrame], None] | None = None,
        kept_bad_frames: int = 100,
        kept_recent_frames: int = 200,
        cdr_catchup: CdrCatchUp | None = None,
    ):
        self.settings = settings
        self.system = settings.system
        self._clock, self._ids = clock, ids
        self._queue: asyncio.Queue[CallEvent] = asyncio.Queue()
        self._translator: AmiTranslator | None = None
        self.bad_frames: deque[BadFrame] = deque(maxlen=kept_bad_frames)
        #: The last raw frames received, with their receive time, for the console's raw view (CALL-39).
        self.recent_frames: deque[tuple[datetime, bytes]] = deque(maxlen=kept_recent_frames)
        self._bad_frame_hook = on_bad_frame
        #: Call ids under way at the last login's CoreShowChannels; ``None`` before the first (CALL-14).
        self.snapshot_call_ids: frozenset[str] | None = None
        #: Called with the system key once each login's snapshot (CoreShowChannelsComplete) is reconciled.
        self.on_snapshot: Callable[[str], None] | None = None
        #: Reads the calls that ran while the link was down from Master.csv at each login (CALL-14).
        self.cdr_catchup = cdr_catchup
        #: CDRs that logged a call never seen live: ``Cdr`` events / Master.csv rows (a call with Local channels
        #: may have several).
        self.calls_from_cdr = {"event": 0, "csv": 0}
        self._session = AmiSession(
            settings,
            clock=clock,
            ids=ids,
            rng=rng or random.Random(),
            on_event=self._on_event,
            on_bad_frame=self._on_bad_frame,
            on_ready=self._resync,
        )

    @property
    def state(self) -> ConnectionState:
        return _STATES[self._session.state]

    @property
    def unclassified_calls(self) -> int:
        """Calls so far that the channel rules could not classify (a metric for the bridge)."""
        return self._translator.book.unclassified.count if self._translator is not None else 0

    @property
    def recovered_from_cdr(self) -> int:
        """Call detail records (Cdr events, Master.csv rows) that logged a call never seen live (a metric)."""
        return sum(self.calls_from_cdr.values())

    @property
    def cdr_rows_skipped(self) -> int:
        """Master.csv lines the catch-up could not read (a metric)."""
        return self.cdr_catchup.problems if self.cdr_catchup is not None else 0

    async def run(self) -> None:
        """Keep the AMI session up until :meth:`stop`; raises ``AuthError`` on refused credentials."""
        await self._session.run()

    async def stop(self) -> None:
        """The final stop (a connector that failed is run again, never stopped): the session ends, and the CDR
        catch-up lets go of its file."""
        await self._session.stop()
        if self.cdr_catchup is not None:
            self.cdr_catchup.close()

    async def events(self) -> AsyncIterator[CallEvent]:
        """Every CallEvent, in PBX order, for as long as the caller keeps iterating."""
        while True:
            yield await self._queue.get()

    # -- incoming -------------------------------------------------------------------------

    def _translator_for_link(self) -> AmiTranslator:
        # The dialect is fixed by the first banner; the calls in progress survive reconnects.
        if self._translator is None:
            banner = self._session.banner
            self._translator = make_translator(self.settings, modern=bool(banner and banner.is_modern))
            self._translator.cdr.zone = self.settings.cdr_zone
        return self._translator

    def _on_event(self, message: AmiMessage, received_at: datetime) -> None:
        self.recent_frames.append((received_at, message.raw))
        translator = self._translator_for_link()
        try:
            events = translator.translate(message, received_at)
        except (ValueError, KeyError, TypeError) as exc:
            self._on_bad_frame(BadFrame(message.raw, f"event not understood ({type(exc).__name__}: {exc})"))
            return
        if message.name.lower() == "cdr" and any(e.from_cdr for e in events):
            self.calls_from_cdr["event"] += 1
        for event in events:
            self._queue.put_nowait(event)
        if self.cdr_catchup is not None:  # on the PBX's clock when it stamps its events, as its CDRs are
            self.cdr_catchup.logged_in(self._session.connects)  # before its catch-up, alive_at stays
            ended = [event.call_id for event in events if event.kind is EventKind.HANGUP]
            self.cdr_catchup.note_alive(event_time(message.get("Timestamp"), received_at), ended)

    def _on_bad_frame(self, frame: BadFrame) -> None:
        self.bad_frames.append(frame)
        if self._bad_frame_hook is not None:
            self._bad_frame_hook(frame)

    async def _resync(self, session: AmiSession) -> None:
        modern = bool(session.banner and session.banner.is_modern)
        translator = self._translator_for_link()
        if self.cdr_catchup is not None:
            self.cdr_catchup.logged_in(session.connects)
        # Calls open now were open when the link dropped; calls that start during the resync are not
        # candidates, so the snapshot taken before they began cannot end them.
        candidates = translator.open_call_ids()
        snapshot = Snapshot(
            channels=await self._list("CoreShowChannels", "CoreShowChannel"),
            queue_entries=await self._list("QueueStatus", "QueueEntry"),
            extension_states=await self._list("ExtensionStateList", "ExtensionStatus") if modern else (),
            device_states=await self._list("DeviceStateList", "DeviceStateChange") if modern else (),
        )
        for event in translator.reconcile(snapshot, self._clock(), candidates):
            self._queue.put_nowait(event)
        await self._catch_up(translator)
        self.snapshot_call_ids = translator.open_call_ids()
        if self.on_snapshot is not None:
            self.on_snapshot(self.system)

    async def _catch_up(self, translator: AmiTranslator) -> None:
        """The calls Master.csv holds that ran while the link was down, logged from their rows (CALL-14)."""
        catchup = self.cdr_catchup
        if catchup is None:
            return
        book = translator.book
        now = self._clock()
        try:
            rows = await asyncio.to_thread(catchup.rows_since_alive, now, self._session.connects)
        except (OSError, ConnectorError) as exc:
            where = catchup.source.describe()
            log.warning("CDR catch-up from %s failed: %s", where, exc, extra={"system": self.system})
            return
        login = self._session.connects
        delay = catchup.commit_after.total_seconds() + 0.1
        asyncio.get_running_loop().call_later(delay, self._commit_catch_up, login)
        rows = [row for row in rows if not translator.cdr.knows(book, row.ids)]
        for row in rows:
            events = translator.cdr.unseen_call(book, row, now)
            self.calls_from_cdr["csv"] += bool(events)
            for event in events:
                self._queue.put_nowait(event)
        if rows:
            log.info("CDR catch-up: %d call(s) read from %s", len(rows), catchup.source.describe())

    def _commit_catch_up(self, login: int) -> None:
        """``commit_after`` since the catch-up of login ``login``: keep its read if that link is still up."""
        if self.cdr_catchup is not None and self._session.connects == login and self.state is ConnectionState.CONNECTED:
            self.cdr_catchup.commit(self._clock(), login)

    async def _list(self, action: str, item: str) -> tuple[AmiMessage, ...]:
        replies = await self._session.send({"Action": action}, as_list=None)
        replies = replies if isinstance(replies, list) else [replies]
        return tuple(m for m in replies if m.name.lower() == item.lower())

    # -- commands -------------------------------------------------------------------------

    async def originate(
        self,
        extension: str,
        number: str,
        *,
        technology: str | None = None,
        context: str | None = None,
        channel: str | None = None,
        caller_id: str | None = None,
        variables: Mapping[str, str] | None = None,
        timeout_s: float = 30.0,
        action_id: str,
    ) -> OriginateResult:
        """Click-to-call (CALL-29): ring ``extension``, then dial ``number`` in ``context``.

        The device rung is ``technology/extension`` unless ``channel`` names it in
        full (``PJSIP/201``, ``SIP/trunk/201``, ``Local/201@from-internal``), as an
        extension's CRM row may; it is checked strictly and a bad one is a
        ``RejectedError`` before anything is sent.

        Sent once. ``NotSentError``: the link was down, nothing happened, safe to
        retry. ``OutcomeUnknownError``: the link dropped or the PBX did not answer
        in time; the phone may be ringing, so never retry blindly.
        ``RejectedError``: the PBX refused or nobody answered (``.reason``).
        """
        fields = originate_fields(
            technology=technology or self.settings.technology.value,
            extension=extension,
            number=number,
            context=context or self.settings.context,
            caller_id=caller_id,
            variables=variables,
            timeout_s=timeout_s,
            action_id=action_id,
            channel=channel,
        )
        return await self._originate(fields, action_id, timeout_s)

    async def spy(
        self, supervisor_extension: str, target_channel: str, *, whisper: bool = False, action_id: str
    ) -> OriginateResult:
        """Supervisor listen or whisper (CALL-31) through a ChanSpy Originate; errors as :meth:`originate`."""
        fields = spy_fields(
            technology=self.settings.technology.value,
            supervisor_extension=supervisor_extension,
            target_channel=target_channel,
            whisper=whisper,
            action_id=action_id,
        )
        return await self._originate(fields, action_id, 30.0)

    async def answer(self, extension: str, *, channel: str | None = None, action_id: str) -> None:
        """Answer by click (CALL-06): tell the SIP phone ringing as ``extension`` to pick up.

        The phone is ``technology/extension`` unless ``channel`` names the device in full, as the
        extension's CRM row may. Sent once, never replayed after a reconnect. ``RejectedError``
        for a device that cannot be answered remotely or a PBX that refused (``.reason``);
        ``NotSentError``: the link was down; ``OutcomeUnknownError``: no reply, the phone may
        have picked up, so look before trying again.
        """
        device = channel if channel else f"{self.settings.technology.value}/{extension}"
        fields = answer_fields(device=device, action_id=action_id)
        try:
            reply = await self._session.send({**fields, "ActionID": action_id})
        except ConnectorError as exc:
            exc.key = action_id
            raise
        answer_outcome(reply, action_id=action_id, system=self.system)

    async def _originate(self, fields: dict, action_id: str, timeout_s: float) -> OriginateResult:
        try:
            reply = await self._session.send(
                {**fields, "ActionID": action_id}, timeout_s=timeout_s + self.settings.action_timeout_s, as_list=None
            )
        except ConnectorError as exc:
            exc.key = action_id
            raise
        return originate_outcome(reply, action_id=action_id, system=self.system)

    async def run_command(self, command: str) -> CommandOutput:
        """Run a CLI command (``core show version``) as the settings screen does; needs ``command`` rights."""
        reply = await self._session.send({"Action": "Command", "Command": command})
        if isinstance(reply, list):
            reply = reply[0]
        return command_output(reply, command=command, system=self.system)

    async def send_action(self, fields: Mapping[str, str]) -> list[AmiMessage]:
        """Send one action the caller has vetted (the console's allow-listed diagnostics, CALL-39) on the live
        link; every message of its reply, a list for event-list actions. Errors as :meth:`AmiSession.send`;
        a CR or LF in a value is a ``RejectedError`` before anything is sent."""
        reply = await self._session.send(dict(fields), as_list=None)
        return reply if isinstance(reply, list) else [reply]

    async def test_connection(self) -> ConnectionReport:
        """Open a separate short session (events off, so nothing doubles), log in, ping, read the version.

        Raises ``AuthError`` for wrong credentials and ``NotSentError`` when the
        PBX cannot be reached, with the same words the settings screen shows.
        """
        return await probe(self.settings, ids=self._ids)


async def probe(settings: AmiSettings, *, ids: Callable[[], str] = _new_action_id) -> ConnectionReport:
    """ "Test connection" for a telephony-system record: log in with events off, Ping, CoreSettings, Logoff."""
    probe_session = AmiSession(
        settings,
        clock=utc_now,
        ids=ids,
        rng=random.Random(),
        on_event=lambda message, at: None,
        on_bad_frame=lambda frame: None,
    )
    return await probe_session.probe()
