"""An Asterisk Manager Interface server for tests and the demo: real framing on a real TCP port.

``AmiServer(dialect="modern"|"legacy")`` greets with the banner of that
Asterisk generation, answers Login / Ping / Logoff / Command / Originate /
CoreShowChannels / QueueStatus / ExtensionStateList / DeviceStateList /
CoreSettings / PJSIPNotify (Asterisk 18) / SIPnotify (Asterisk 11), and plays
scripted calls (:mod:`emulator.ami.playbook`) to every client logged in with
events on. :meth:`AmiServer.ring` rings an extension until a ``talk`` NOTIFY
answers it (CALL-06) or the ring time runs out. Tests can make it drop every
connection, go silent (stop answering, as a half-open link looks), hold
Originate replies, or send raw bytes. The wire format is :mod:`emulator.ami.wire`; the actions that
only read the PBX's state (``Command``, ``CoreSettings``, the snapshots) are :mod:`emulator.ami.queries`.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from emulator.ami import notify, playbook, queries, wire
from emulator.ami.channels import LiveChannels
from emulator.ami.scenarios import Headers, Leg, Script, Step
from emulator.ami.wire import BANNERS, FRAME_END, Client, header_values, parse_action, unknown_command, write


@dataclass
class _Ringing:
    """A call ringing at one device, waiting for a ``talk`` NOTIFY."""

    trunk: Leg
    ext: Leg
    answered: asyncio.Event = field(default_factory=asyncio.Event)


@dataclass
class AmiServer:
    """Start with ``await start()``; ``port`` is then the bound port (ask for 0 to get a free one)."""

    dialect: str = "modern"
    username: str = "crm"
    secret: str = "crm-secret"
    host: str = "127.0.0.1"
    port: int = 0
    speed: float = 1.0
    timestamps: bool = True
    silent: bool = False
    hold_originate: bool = False
    cdr_manager: bool = False  # send a Cdr event at each call's end, as Asterisk's cdr_manager does
    actions: list[dict[str, str]] = field(default_factory=list)
    _clients: list[Client] = field(default_factory=list)
    _server: asyncio.base_events.Server | None = None
    _tasks: set[asyncio.Task] = field(default_factory=set)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(40))
    _channel_ids: itertools.count = field(default_factory=lambda: itertools.count(0x1A))
    _live: LiveChannels = field(default_factory=LiveChannels)
    _queue: dict[str, Headers] = field(default_factory=dict)
    _ringing: dict[str, _Ringing] = field(default_factory=dict)
    _handled: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def modern(self) -> bool:
        return self.dialect == "modern"

    async def start(self) -> AmiServer:
        if self.dialect not in BANNERS:
            raise ValueError(f"unknown dialect {self.dialect!r}; use 'modern' or 'legacy'")
        self._server = await asyncio.start_server(self._serve, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        self.drop_connections()
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def drop_connections(self) -> None:
        """Close every client connection at once, as a PBX restart or a cable pull would."""
        for client in list(self._clients):
            client.writer.close()
        self._clients.clear()

    def count(self, action: str) -> int:
        return sum(1 for seen in self.actions if seen.get("action", "").lower() == action.lower())

    async def handled(self, action: str, count: int = 1) -> None:
        """Return once ``count`` actions named ``action`` have arrived and been answered (unless silent).

        The reply, if any, is already written when this returns, so tests can wait on the
        server instead of polling or sleeping.
        """
        while self.count(action) < count:
            await self._handled.wait()

    @property
    def connected_clients(self) -> int:
        return len(self._clients)

    # -- scenarios ------------------------------------------------------------------------

    async def played(self) -> None:
        """Return once every scenario, ring and originated call has played to its last event."""
        while self._tasks:
            await asyncio.wait(set(self._tasks))

    def play(self, name: str, *, hangup_after: asyncio.Event | None = None, **options: object) -> asyncio.Task:
        """Play a scenario from :data:`playbook.SCENARIOS` to every listening client. With ``hangup_after``
        the call stays up, its first ``Hangup`` held back, until that event is set (a test's "hang up now")."""
        builder = functools.partial(playbook.SCENARIOS[name], **options)
        return self._spawn(self._play(self._script(builder), hangup_after))

    def ring(self, extension: str = "101", *, ring_s: float = 30.0, talk_s: float = 1.0) -> asyncio.Task:
        """Ring ``extension`` with an inbound call; a ``talk`` NOTIFY to its device answers it, else it is missed.

        The task ends after the hang-up; ``ring_s`` and ``talk_s`` are scaled by ``speed``.
        """
        legs: list[Leg] = []
        steps = self._script(lambda s: legs.extend(playbook.ring_inbound(s, extension=extension)))
        device = f"{'PJSIP' if self.modern else 'SIP'}/{extension}"
        return self._spawn(self._ring(steps, device, extension, legs, ring_s, talk_s))

    def is_ringing(self, device: str) -> bool:
        """Whether a call rings at ``device`` (``PJSIP/101``, ``SIP/101``) waiting to be answered."""
        return device in self._ringing

    async def _ring(
        self, steps: list[Step], device: str, extension: str, legs: list[Leg], ring_s: float, talk_s: float
    ) -> None:
        trunk, ext = legs
        await self._play(steps)
        ringing = self._ringing[device] = _Ringing(trunk, ext)
        try:
            async with asyncio.timeout(ring_s / self.speed):
                await ringing.answered.wait()
        except TimeoutError:
            pass
        finally:
            if self._ringing.get(device) is ringing:
                del self._ringing[device]
        if ringing.answered.is_set():
            after = functools.partial(playbook.answer_ringing, trunk=trunk, ext=ext, extension=extension, talk_s=talk_s)
        else:
            after = functools.partial(playbook.give_up_ringing, trunk=trunk, ext=ext, extension=extension)
        await self._play(self._script(after))

    def _script(self, builder: Callable[[Script], None]) -> list[Step]:
        script = Script(self.modern, int(time.time()), self._ids, self._channel_ids)
        builder(script)
        return script.steps

    async def _play(self, steps: list[Step], hangup_after: asyncio.Event | None = None) -> None:
        for step in steps:
            if step.delay_s:
                await asyncio.sleep(step.delay_s / self.speed)
            if hangup_after is not None and dict(step.headers).get("Event") == "Hangup":
                await hangup_after.wait()
                hangup_after = None
            for headers in [step.headers, *self._track(step.headers)]:
                headers = [*headers, ("Timestamp", f"{time.time():.6f}")] if self.timestamps else headers
                self.broadcast(headers)

    def _track(self, headers: Headers) -> list[Headers]:
        """Follow what is live; the Cdr events a call's end brings (``cdr_manager``)."""
        fields = dict(headers)
        event, uniqueid = fields["Event"], fields.get("Uniqueid", "")
        if event in ("QueueCallerJoin", "Join"):
            self._queue[uniqueid] = headers
        elif event in ("QueueCallerLeave", "Leave"):
            self._queue.pop(uniqueid, None)
        return self._live.track(headers, cdr_manager=self.cdr_manager)

    def broadcast(self, headers: Headers) -> None:
        for client in list(self._clients):
            if client.events and not self.silent:
                self._write(client, headers)

    def send_raw(self, data: bytes) -> None:
        for client in list(self._clients):
            client.writer.write(data)

    def _spawn(self, coro) -> asyncio.Task:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    # -- connection -----------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        client = Client(writer)
        self._clients.append(client)
        writer.write(BANNERS[self.dialect].encode() + b"\r\n")
        buffer = b""
        try:
            while not writer.is_closing():
                chunk = await reader.read(4096)
                if not chunk:
                    break
                buffer += chunk
                while (match := FRAME_END.search(buffer)) is not None:
                    frame, buffer = buffer[: match.start()], buffer[match.end() :]
                    action = parse_action(frame)
                    self.actions.append(action)
                    if not self.silent:
                        self._handle(client, action, header_values(frame, "variable"))
                    self._handled.set()
                    self._handled = asyncio.Event()  # waiters woken above; later ones wait for the next action
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            if client in self._clients:
                self._clients.remove(client)
            writer.close()

    def _handle(self, client: Client, action: dict[str, str], variables: list[str]) -> None:
        name = action.get("action", "").lower()
        reply = {"actionid": action.get("actionid", "")}
        if name == "login":
            self._login(client, action, reply)
        elif not client.logged_in:
            self._reply(client, reply, "Error", "Missing action in request" if not name else "Permission denied")
        elif name == "ping":
            self._write(
                client,
                [
                    ("Response", "Success"),
                    ("ActionID", reply["actionid"]),
                    ("Ping", "Pong"),
                    ("Timestamp", f"{time.time():.6f}"),
                ],
            )
        elif name == "logoff":
            self._reply(client, reply, "Goodbye", "Thanks for all the fish.")
            client.writer.close()
        elif name in queries.LISTS:
            queries.LISTS[name](client, self._state, reply["actionid"])
        elif name == "command":
            queries.command(client, self._state, action.get("command", ""), reply["actionid"])
        elif name == "originate":
            self._originate(client, action, reply)
        elif name in ("pjsipnotify", "sipnotify"):
            self._notify(client, action, variables, reply)
        elif name == "coresettings":
            queries.core_settings(client, self._state, reply["actionid"])
        else:
            self._reply(client, reply, "Error", unknown_command(action.get("action", "")))

    def _login(self, client: Client, action: dict[str, str], reply: dict[str, str]) -> None:
        if action.get("username") != self.username or action.get("secret") != self.secret:
            self._reply(client, reply, "Error", "Authentication failed")
            client.writer.close()
            return
        client.logged_in = True
        client.events = action.get("events", "on").lower() != "off"
        self._reply(client, reply, "Success", "Authentication accepted")
        if client.events:
            self._write(client, [("Event", "FullyBooted"), ("Privilege", "system,all"), ("Status", "Fully Booted")])

    def _originate(self, client: Client, action: dict[str, str], reply: dict[str, str]) -> None:
        if self.hold_originate:
            return  # the reply never comes: the test decides what happens to the link
        channel = action.get("channel", "")
        technology, _, extension = channel.partition("/")
        if not extension.isdigit() or action.get("exten", "") == "":
            if action.get("application", "").lower() == "chanspy":
                self._reply(client, reply, "Success", "Originate successfully queued")
                self._spawn(
                    self._play(
                        [
                            Step(
                                0.2,
                                [
                                    ("Event", "OriginateResponse"),
                                    ("Privilege", "call,all"),
                                    ("ActionID", reply["actionid"]),
                                    ("Response", "Success"),
                                    ("Channel", f"{channel}-0000ffff"),
                                    ("Application", "ChanSpy"),
                                    ("Data", action.get("data", "")),
                                    ("Reason", "4"),
                                    ("Uniqueid", f"{int(time.time())}.999"),
                                ],
                            )
                        ]
                    )
                )
                return
            self._reply(client, reply, "Error", "Originate failed")
            return
        self._reply(client, reply, "Success", "Originate successfully queued")
        builder = functools.partial(
            playbook.originate,
            extension=extension,
            number=action["exten"],
            action_id=reply["actionid"],
            technology=technology,
        )
        self._spawn(self._play(self._script(builder)))

    def _notify(self, client: Client, action: dict[str, str], variables: list[str], reply: dict[str, str]) -> None:
        name = action.get("action", "")
        if (name.lower() == "pjsipnotify") != self.modern:
            outcome = notify.unknown_command(name)
        elif self.modern:
            outcome = notify.pjsip_notify(action, variables)
        else:
            outcome = notify.sip_notify(action, variables)
        self._reply(client, reply, outcome.status, outcome.message)
        ringing = self._ringing.pop(outcome.device, None) if outcome.device else None
        if ringing is not None:
            ringing.answered.set()

    def _reply(self, client: Client, reply: dict[str, str], status: str, message: str) -> None:
        wire.reply(client, reply["actionid"], status, message)

    def _write(self, client: Client, headers: Headers) -> None:
        write(client, headers)

    @property
    def _state(self) -> queries.PbxState:
        return queries.PbxState(self.dialect, self._live, self._queue)
