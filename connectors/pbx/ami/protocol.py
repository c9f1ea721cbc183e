"""Our AMI protocol: one ``asyncio.Protocol`` per TCP connection (CALL-21, CALL-29).

We own the protocol outright and use panoramisk only through its public
classes: ``panoramisk.actions.Action`` writes an action (with our ActionID) and
judges, message by message, when its reply is complete (an event list ends at
its closing event, an async Originate at ``OriginateResponse``);
``panoramisk.Message`` is the header mapping it judges. Nothing subclasses
panoramisk or touches its private state (docs/asterisk.md §5 says why).

What panoramisk's ``AMIProtocol`` / ``Manager`` do that a 24/7 bridge cannot
live with, and what we do instead (gawel/panoramisk:panoramisk/ami_protocol.py, panoramisk/manager.py):
- it decodes each TCP chunk with ``errors='ignore'`` and drops frames without
  Event/Response; here bytes go through :class:`AmiFramer` and
  :func:`parse_frame`, whole frames are decoded, and bad frames are reported;
- on close it queues unanswered actions for replay after the next login (a
  replayed Originate rings a customer twice); here every pending action fails
  with ``OutcomeUnknownError`` and nothing is ever re-sent;
- on a lost connection it reconnects every 2 s; here it only tells the
  session, which owns backoff;
- a failed write logs the whole action (the Login secret included); here it
  raises ``NotSentError`` and logs nothing of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from panoramisk import Message
from panoramisk.actions import Action

from connectors.errors import NotSentError, OutcomeUnknownError
from connectors.pbx.ami.framing import AmiFramer
from connectors.pbx.ami.message import AmiMessage, BadFrame, Banner, MessageKind, parse_frame

Reply = AmiMessage | list[AmiMessage]


@dataclass
class _Pending:
    """One action waiting for its reply, and the typed messages behind each panoramisk ``Message`` it saw."""

    action: Action
    reply: asyncio.Future[Reply]
    sources: dict[int, AmiMessage] = field(default_factory=dict)


def _as_message(source: AmiMessage) -> Message:
    """The panoramisk ``Message`` of a typed message: a repeated header becomes a list, as panoramisk parses it."""
    headers: dict[str, str | list[str]] = {}
    for key, value in source.headers:
        previous = headers.get(key)
        headers[key] = value if previous is None else [*_as_list(previous), value]
    return Message(headers, "\n".join(source.body))


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


class AmiWire(asyncio.Protocol):
    """One TCP connection. The ``on_*`` callbacks are given by the session before any byte arrives."""

    def __init__(
        self,
        *,
        system: str,
        on_banner: Callable[[Banner], None],
        on_event: Callable[[AmiMessage], None],
        on_bad_frame: Callable[[BadFrame], None],
        on_lost: Callable[[Exception | None], None],
    ):
        self.system = system
        self._framer = AmiFramer()
        self._on_banner, self._on_event = on_banner, on_event
        self._on_bad_frame, self._on_lost = on_bad_frame, on_lost
        self._transport: asyncio.Transport | None = None
        self._pending: dict[str, _Pending] = {}
        self._closed = False

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not isinstance(transport, asyncio.Transport):
            raise TypeError(f"AMI needs a stream transport, not {type(transport).__name__}")
        self._transport = transport

    def send(self, action: Action) -> asyncio.Future[Reply]:
        """Write ``action``; the future completes with its reply (a list for event lists)."""
        operation = str(action["Action"])
        if self._closed or self._transport is None:
            raise NotSentError("not connected", system=self.system, operation=operation)
        pending = _Pending(action, asyncio.get_running_loop().create_future())
        self._pending[action.action_id] = pending
        try:
            self._transport.write(str(action).encode("utf-8"))
        except Exception as exc:  # the transport may raise anything; only its class is safe to show
            self._pending.pop(action.action_id, None)
            raise NotSentError(
                f"write failed ({type(exc).__name__})", system=self.system, operation=operation
            ) from None
        return pending.reply

    def data_received(self, data: bytes) -> None:
        for frame in self._framer.feed(data):
            parsed = parse_frame(frame)
            if isinstance(parsed, Banner):
                self._on_banner(parsed)
            elif isinstance(parsed, BadFrame):
                self._on_bad_frame(parsed)
            else:
                self._dispatch(parsed)

    def _dispatch(self, message: AmiMessage) -> None:
        pending = self._pending.get(message.action_id) if message.action_id else None
        if pending is not None:
            self._add_to_reply(pending, message)
            return
        if message.kind is MessageKind.EVENT:
            self._on_event(message)
            if message.name.lower() == "shutdown":
                self.close()
        else:
            self._on_bad_frame(BadFrame(message.raw, "response to no pending action"))

    def _add_to_reply(self, pending: _Pending, message: AmiMessage) -> None:
        converted = _as_message(message)
        pending.sources[id(converted)] = message
        pending.action.add_message(converted)
        if not pending.action.future.done():
            return
        self._pending.pop(message.action_id, None)
        result = pending.action.future.result()
        if not pending.reply.done():
            pending.reply.set_result(
                [pending.sources[id(m)] for m in result] if isinstance(result, list) else pending.sources[id(result)]
            )

    def connection_lost(self, exc: Exception | None) -> None:
        self.close()
        self._on_lost(exc)

    def close(self) -> None:
        """Close, failing every unanswered action: none of them will be re-sent."""
        pending, self._pending = list(self._pending.values()), {}
        for item in pending:
            if not item.reply.done():
                item.reply.set_exception(
                    OutcomeUnknownError(
                        "connection lost before the PBX answered",
                        system=self.system,
                        operation=str(item.action["Action"]),
                    )
                )
                item.reply.exception()  # the caller may have given up waiting; never warn about it
        if not self._closed:
            self._closed = True
            if self._transport is not None:
                self._transport.close()
