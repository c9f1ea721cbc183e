"""The click-to-call Service Bus queue: message bodies to request ids, a peek-lock receiver (CALL-16).

A Dataverse service endpoint posts each new ``comms_clicktocall`` row to a
queue; the intake reads the request id from each message, carries the
request out and settles the message: complete when handled, abandon when
Dataverse could not be reached (the queue redelivers it), dead-letter when the
body names no request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from connectors.errors import ConnectorError, UnavailableError
from connectors.settings import Secret
from dataverse_schema.telephony import CLICK_TO_CALL

log = logging.getLogger(__name__)


class ServiceBusSettings(BaseModel):
    """The queue a Dataverse service endpoint posts new requests to. Times in seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connection_string: Secret
    queue: str = Field(default="comms-clicktocall", min_length=1)
    max_wait_s: float = Field(default=5.0, gt=0, le=60)
    max_messages: int = Field(default=10, ge=1, le=100)


def request_id_from_message(body: bytes) -> str:
    """The request id a queue message carries: a Dataverse ``RemoteExecutionContext`` (JSON format)
    with ``PrimaryEntityId``, a ``{"requestId": …}`` object, or the bare id. ``ValueError`` otherwise."""
    text = body.decode("utf-8-sig", errors="replace").strip()
    candidate: Any = text
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deep for the decoder
            raise ValueError("queue message is not valid JSON") from exc
        entity = document.get("PrimaryEntityName")
        if entity not in (None, CLICK_TO_CALL.logical_name):
            raise ValueError(f"queue message is about {str(entity)[:60]!r}, not a click-to-call request")
        candidate = document.get("PrimaryEntityId") or document.get("requestId")
    try:
        return str(uuid.UUID(str(candidate).strip('{}"')))
    except ValueError:
        raise ValueError(f"queue message carries no request id ({text[:60]!r})") from None


class MessageReceiver(Protocol):
    """The queue seen by the intake: receive a batch, settle each message, close."""

    async def receive(self) -> list[Any]: ...

    async def complete(self, message: Any) -> None: ...

    async def abandon(self, message: Any) -> None: ...

    async def dead_letter(self, message: Any, reason: str) -> None: ...

    async def close(self) -> None: ...


async def drain_once(receiver: MessageReceiver, handle: Callable[[str], Awaitable[bool]]) -> None:
    """Receive one batch and hand each request id to ``handle``, settling every message.

    A ``ConnectorError`` from ``handle`` abandons the message (redelivered
    later) and propagates, so the caller can back off.
    """
    for message in await receiver.receive():
        try:
            request_id = request_id_from_message(message.body)
        except ValueError as exc:
            log.warning("click-to-call queue message kept aside: %s", exc)
            await receiver.dead_letter(message, str(exc))
            continue
        try:
            await handle(request_id)
        except ConnectorError:
            await receiver.abandon(message)
            raise
        await receiver.complete(message)


@dataclass(frozen=True)
class _Message:
    body: bytes
    native: Any


class ServiceBusReceiver:
    """A peek-lock receiver on the azure-servicebus SDK, driven from one worker thread (the SDK is sync)."""

    def __init__(self, settings: ServiceBusSettings):
        from azure.servicebus import ServiceBusClient  # imported here: only bridges with a queue need it

        self._settings = settings
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="c2c-servicebus")
        self._client = ServiceBusClient.from_connection_string(settings.connection_string.reveal())
        self._receiver = self._client.get_queue_receiver(queue_name=settings.queue, max_wait_time=settings.max_wait_s)

    async def _run(self, function: Callable[..., Any], *args: Any) -> Any:
        try:
            return await asyncio.get_running_loop().run_in_executor(self._thread, function, *args)
        except Exception as exc:  # the SDK's own error tree, translated at this one boundary
            if isinstance(exc, ConnectorError):
                raise
            raise UnavailableError(
                f"Service Bus: {type(exc).__name__}",
                system="servicebus",
                operation=getattr(function, "__name__", "call"),
            ) from exc

    async def receive(self) -> list[_Message]:
        natives = await self._run(
            self._receiver.receive_messages, self._settings.max_messages, self._settings.max_wait_s
        )
        return [_Message(_body_bytes(native), native) for native in natives]

    async def complete(self, message: _Message) -> None:
        await self._run(self._receiver.complete_message, message.native)

    async def abandon(self, message: _Message) -> None:
        await self._run(self._receiver.abandon_message, message.native)

    async def dead_letter(self, message: _Message, reason: str) -> None:
        await self._run(lambda: self._receiver.dead_letter_message(message.native, reason=reason[:200]))

    async def close(self) -> None:
        await self._run(self._receiver.close)
        await self._run(self._client.close)
        self._thread.shutdown(wait=False)


def _body_bytes(native: Any) -> bytes:
    body = native.body
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return b"".join(part if isinstance(part, bytes) else str(part).encode() for part in body)
