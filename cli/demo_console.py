"""The bridge's console in ``commsuite demo``: browser-like subscribers (CALL-03, CALL-09).

:class:`ConsoleWatcher` signs in as one console user (token → session cookie
and CSRF token, ``Origin`` set as a browser sets it), opens the live event
stream (``GET /events``, Server-Sent Events) on its own thread and notes every
ringing pop-up with its ring-to-pop-up time: from the latest moment the PBX
stamped as ringing (the extension tile's *ringing* ``since``, or the call's
``started_at`` when later, e.g. the Dial after the device state) to the
moment the pop-up arrived here. Both clocks are this machine's, as the demo
runs everything on loopback. :class:`ConsoleDemo` sets the console up for the demo's bridge
(port, users, tokens) and :class:`HeldBridge` keeps that bridge running for
``commsuite demo --serve``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests

#: Longest SSE line the watcher accepts; a longer one ends the stream (a console event is a few kB).
MAX_LINE_CHARS = 262_144


@dataclass(frozen=True)
class SseEvent:
    """One Server-Sent Event: its ``event:`` name (``message`` when none) and its ``data:`` lines joined."""

    name: str
    data: str


def parse_sse(lines: Iterable[str]) -> Iterator[SseEvent]:
    """Events from the stream's lines (without their line ends), as the SSE spec frames them.

    Comments (``:`` lines, the keep-alives) and unknown fields are skipped; a
    blank line ends an event; an event without data is dropped. A line longer
    than :data:`MAX_LINE_CHARS` raises ``ValueError``.
    """
    name, data = "", []
    for line in lines:
        if len(line) > MAX_LINE_CHARS:
            raise ValueError(f"an event-stream line of {len(line)} characters is too long")
        if not line:
            if data:
                yield SseEvent(name or "message", "\n".join(data))
            name, data = "", []
            continue
        if line.startswith(":"):
            continue
        field_name, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if field_name == "event":
            name = value
        elif field_name == "data":
            data.append(value)


@dataclass(frozen=True)
class Popup:
    """A ringing pop-up seen by the subscriber; ``ring_to_popup_ms`` is ``None`` with no ring moment known."""

    call_key: str
    extension: str
    ring_to_popup_ms: float | None


@dataclass
class _Seen:
    ringing_since: dict[tuple[str, str], float] = field(default_factory=dict)
    popups: dict[str, Popup] = field(default_factory=dict)
    malformed: int = 0


class ConsoleWatcher:
    """Signs in to the console at ``url`` with ``token`` and watches its event stream in a thread.

    The stream is read from a plain socket, so :meth:`stop` ends it at once
    (shutting the socket down wakes the blocked read).
    """

    def __init__(self, url: str, token: str, *, timeout_s: float = 10.0):
        self.url = url.rstrip("/")
        self._token = token
        self._timeout_s = timeout_s
        self._seen = _Seen()
        self._lock = threading.Lock()
        self._socket: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.error: str | None = None
        self.profile: dict[str, Any] = {}

    def start(self) -> ConsoleWatcher:
        """Sign in and open the stream; returns once the console answered 200 (raises when it did not)."""
        with requests.Session() as browser:
            reply = browser.post(
                f"{self.url}/api/session",
                json={"token": self._token},
                headers={"Origin": self.url},
                timeout=self._timeout_s,
            )
            if reply.status_code != 200:
                raise RuntimeError(f"console sign-in refused: HTTP {reply.status_code}")
            self.profile = reply.json()
            cookie = "; ".join(f"{c.name}={c.value}" for c in browser.cookies)
        host = urlsplit(self.url).netloc
        self._socket = socket.create_connection(_address(self.url), timeout=self._timeout_s)
        self._socket.sendall(
            f"GET /events HTTP/1.1\r\nHost: {host}\r\nAccept: text/event-stream\r\nCookie: {cookie}\r\n\r\n".encode(
                "latin-1"
            )
        )
        self._socket.settimeout(None)
        lines = _socket_lines(self._socket)
        status = next(lines, "")
        if not status.startswith("HTTP/1.1 200"):
            self._socket.close()
            raise RuntimeError(f"console event stream refused: {status[:80]!r}")
        for header in lines:  # the head ends at the first blank line
            if not header:
                break
        self._thread = threading.Thread(target=self._read, args=(lines,), name="console-watcher", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._socket is not None:
            with contextlib.suppress(OSError):
                self._socket.shutdown(socket.SHUT_RDWR)
            self._socket.close()
        if self._thread is not None:
            self._thread.join(5)

    @property
    def popups(self) -> list[Popup]:
        with self._lock:
            return list(self._seen.popups.values())

    @property
    def malformed(self) -> int:
        with self._lock:
            return self._seen.malformed

    def _read(self, lines: Iterator[str]) -> None:
        try:
            for event in parse_sse(lines):
                self._take(event, time.time())
        except (OSError, ValueError) as exc:
            self.error = type(exc).__name__  # the stream broke, or a line was too long

    def _take(self, event: SseEvent, received_at: float) -> None:
        try:
            payload = json.loads(event.data)
        except ValueError:
            payload = None
        with self._lock:
            if not isinstance(payload, dict):
                self._seen.malformed += 1
            elif event.name == "extension":
                self._note_tile(payload)
            elif event.name == "call" and payload.get("popup") == "ringing":
                self._note_popup(payload, received_at)

    def _note_tile(self, tile: dict[str, Any]) -> None:
        """Keep when each tile started ringing, only while it rings (a later call must not use an old ring)."""
        place = (str(tile.get("system")), str(tile.get("extension")))
        since = _epoch(tile.get("since"))
        if tile.get("state") == "ringing" and since is not None:
            self._seen.ringing_since[place] = since
        else:
            self._seen.ringing_since.pop(place, None)

    def _note_popup(self, call: dict[str, Any], received_at: float) -> None:
        key = str(call.get("key"))
        if key in self._seen.popups:
            return
        ringing = [str(e) for e in call.get("ringing") or ()]
        extension = ringing[0] if ringing else ""
        known = [
            t
            for t in (
                self._seen.ringing_since.get((str(call.get("system")), extension)),
                _epoch(call.get("started_at")),
            )
            if t is not None
        ]
        latency = (received_at - max(known)) * 1000 if known else None
        self._seen.popups[key] = Popup(key, extension, latency)


def _socket_lines(sock: socket.socket) -> Iterator[str]:
    """Lines (CRLF or LF ended) as they arrive; UTF-8 decoded per whole line, so no character is split."""
    buffer = b""
    while True:
        chunk = sock.recv(65_536)
        if not chunk:
            return
        buffer += chunk
        *complete, buffer = buffer.split(b"\n")
        for raw in complete:
            yield raw.rstrip(b"\r").decode("utf-8", errors="replace")
        if len(buffer) > MAX_LINE_CHARS * 4:
            raise ValueError("an event-stream line is too long")


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _epoch(text: object) -> float | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment.timestamp() if moment.tzinfo is not None else None


@dataclass
class ConsoleDemo:
    """The demo's console: one browser per extension user, each signed in with its own token.

    ``port`` is picked free on loopback before the bridge starts, because the
    console's port is set in ``bridge.toml``; ``tokens`` go to the bridge
    through the environment (``token_env``), never into the file.
    """

    users: dict[str, str]  # extension → systemuser id
    port: int = field(default_factory=lambda: _free_port())
    tokens: dict[str, str] = field(default_factory=dict)
    watchers: list[ConsoleWatcher] = field(default_factory=list)
    popups: list[Popup] = field(default_factory=list)
    browsers: int = 0

    def __post_init__(self) -> None:
        self.tokens = {extension: secrets.token_urlsafe(24) for extension in self.users}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def environ(self) -> dict[str, str]:
        return {f"COMMS_DEMO_CONSOLE_TOKEN_{extension}": token for extension, token in self.tokens.items()}

    def toml(self) -> str:
        users = "".join(
            f'\n[[console.users]]\nuser_id = "{user}"\nname = "Extension {extension}"\n'
            f'token_env = "COMMS_DEMO_CONSOLE_TOKEN_{extension}"\n'
            for extension, user in self.users.items()
        )
        return f"[console]\nport = {self.port}\n{users}"

    def open(self) -> None:
        """Sign every browser in and open its event stream."""
        self.watchers = [ConsoleWatcher(self.url, token).start() for token in self.tokens.values()]
        self.browsers = len(self.watchers)

    def close(self) -> None:
        """Close the streams and keep what they saw (again: nothing more happens)."""
        for watcher in self.watchers:
            watcher.stop()
        self.popups += [popup for watcher in self.watchers for popup in watcher.popups]
        self.watchers = []

    def serve_hint(self) -> str:
        """Where a browser opens the console the demo's bridge keeps running, and how it signs in."""
        first = next(iter(self.tokens), "")
        return (
            f"bridge console at {self.url}/ (sign in as extension {first}'s user with token "
            f"{self.tokens.get(first, '')!r})"
        )

    def summary(self) -> str:
        timed = sorted(p.ring_to_popup_ms for p in self.popups if p.ring_to_popup_ms is not None)
        calls = len({p.call_key for p in self.popups})
        where = ", ".join(sorted({p.extension for p in self.popups}))
        if not timed:
            return f"{calls} ringing call(s) popped up in {self.browsers} browser(s)"
        return (
            f"{calls} ringing call(s) popped up at {where} in {self.browsers} browser(s); "
            f"ring-to-pop-up at the browser ({len(timed)} timed) median {timed[len(timed) // 2]:.0f} ms, "
            f"max {timed[-1]:.0f} ms"
        )


class HeldBridge:
    """Runs the demo's bridge on its own thread so ``--serve`` can keep it (and its console) running.

    ``run(main)`` returns what ``main`` passed to :meth:`hold` once the demo's
    part is over, or raises what ``main`` raised; the bridge stops at :meth:`release`.
    """

    def __init__(self) -> None:
        self._ready = threading.Event()
        self._released = threading.Event()
        self._outcome: Any = None
        self._error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def run(self, main: Callable[[], Awaitable[Any]]) -> Any:
        self._thread = threading.Thread(target=self._main, args=(main,), name="demo-bridge", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self._outcome

    async def hold(self, outcome: Any) -> None:
        """Hand ``outcome`` to :meth:`run`'s caller and wait, bridge running, until :meth:`release`."""
        self._outcome = outcome
        self._ready.set()
        await asyncio.to_thread(self._released.wait)

    def release(self) -> None:
        self._released.set()
        if self._thread is not None:
            self._thread.join(60)

    def _main(self, main: Callable[[], Awaitable[Any]]) -> None:
        try:
            asyncio.run(main())
        except BaseException as exc:  # handed to the caller of run()
            self._error = exc
        finally:
            self._ready.set()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
