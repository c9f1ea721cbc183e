"""panoramisk's AMI protocol, with its traps closed (CALL-21, CALL-29).

We keep what panoramisk does well: ``Action`` serialisation with our own
ActionID, and matching replies to actions by ActionID, including event lists
that complete only at their closing event and async Originates that complete at
``OriginateResponse`` (``panoramisk.actions.Action.add_message``).

We replace what a 24/7 bridge cannot live with (reference/telephony.md 3):
- ``data_received`` decoded each TCP chunk with ``errors='ignore'`` and dropped
  frames without Event/Response; here bytes go through :class:`AmiFramer` and
  :func:`parse_frame`, whole frames are decoded, and bad frames are reported.
- ``close`` queued unanswered actions for replay after the next login (a
  replayed Originate rings a customer twice); here every pending action fails
  with ``OutcomeUnknownError`` and nothing is ever re-sent.
- ``connection_lost`` scheduled a reconnect every 2 s; here it only tells the
  session, which owns backoff.
- ``send`` logged the whole action (the Login secret included) when a write
  failed; here a failed write raises ``NotSentError`` and logs nothing of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from panoramisk.actions import Action
from panoramisk.ami_protocol import AMIProtocol
from panoramisk.message import Message

from connectors.errors import NotSentError, OutcomeUnknownError
from connectors.pbx.ami.framing import AmiFramer
from connectors.pbx.ami.message import AmiMessage, BadFrame, Banner, MessageKind, parse_frame


class CorrelatedMessage(Message):
    """A panoramisk ``Message`` that remembers the typed :class:`AmiMessage` it was made from."""

    def __init__(self, source: AmiMessage):
        headers: dict[str, str | list[str]] = {}
        for key, value in source.headers:
            previous = headers.get(key)
            headers[key] = value if previous is None else [*_as_list(previous), value]
        super().__init__(headers, "\n".join(source.body))
        self.source = source


def _as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


class AmiWire(AMIProtocol):
    """One TCP connection. ``on_*`` callbacks are set by the session before any byte arrives."""

    def __init__(self, *, system: str,
                 on_banner: Callable[[Banner], None],
                 on_event: Callable[[AmiMessage], None],
                 on_bad_frame: Callable[[BadFrame], None],
                 on_lost: Callable[[Exception | None], None]):
        super().__init__()
        self.system = system
        self._framer = AmiFramer()
        self._on_banner, self._on_event = on_banner, on_event
        self._on_bad_frame, self._on_lost = on_bad_frame, on_lost

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.factory = self  # panoramisk looks pending-action policy up on its factory

    def send(self, data: Action, as_list: bool | None = False) -> asyncio.Future:
        if self.closed:
            raise NotSentError("not connected", system=self.system, operation=data["action"])
        data.as_list = as_list
        self.responses[data.action_id] = data
        try:
            self.transport.write(str(data).encode("utf-8"))
        except Exception as exc:  # the transport may raise anything; only its class is safe to show
            self.responses.pop(data.action_id, None)
            raise NotSentError(f"write failed ({type(exc).__name__})", system=self.system,
                               operation=data["action"]) from None
        return data.future

    def data_received(self, data: bytes) -> None:
        for frame in self._framer.feed(data):
            parsed = parse_frame(frame)
            if isinstance(parsed, Banner):
                self.version = parsed.version
                self._on_banner(parsed)
            elif isinstance(parsed, BadFrame):
                self._on_bad_frame(parsed)
            else:
                self._dispatch(parsed)

    def _dispatch(self, message: AmiMessage) -> None:
        action = self.responses.get(message.action_id) if message.action_id else None
        if action is not None and not action.future.done():
            if action.add_message(CorrelatedMessage(message)):
                self.responses.pop(message.action_id, None)
            return
        if message.kind is MessageKind.EVENT:
            self._on_event(message)
            if message.name.lower() == "shutdown":
                self.close()
        else:
            self._on_bad_frame(BadFrame(message.raw, "response to no pending action"))

    def connection_lost(self, exc: Exception | None) -> None:
        self.close()
        self._on_lost(exc)

    def close(self) -> None:
        """Close, failing every unanswered action: none of them will be re-sent."""
        pending, self.responses = list(self.responses.values()), {}
        for action in pending:
            if not action.future.done():
                action.future.set_exception(OutcomeUnknownError(
                    "connection lost before the PBX answered", system=self.system, operation=action["action"]))
                action.future.exception()  # the caller may have given up waiting; never warn about it
        if not self.closed:
            self.closed = True
            self.transport.close()
