"""Click-to-call intake: request rows in Dataverse → a PBX Originate → the outcome on the row (CALL-16, -17, -29, -31).

A user's click creates a ``comms_clicktocall`` row with status *Pending*. The
bridge finds it by polling (one query every ``poll_interval_s``) or is told
its id by a Service Bus queue fed by a Dataverse service endpoint (the poll
then runs every ``sweep_interval_s`` as a repair sweep). Either way it:

1. reads the row and resolves its telephony system (the row's own, else the
   system on which the user has an extension); rows for systems this bridge
   does not serve are left for the bridge that does;
2. claims it by setting *Ringing extension* with ``If-Match: <etag>``: when two
   bridges race, Dataverse accepts exactly one claim and the other gets a 412
   and drops the request, so a phone never rings twice;
3. plans the call with :mod:`domain.calls.click_to_call` and asks the PBX
   connector to originate with an action id derived from the request id;
4. writes the outcome (status, dialled number, error, completed on) through
   the durable outbox.

An Originate is sent at most once: the claim took the row out of *Pending*,
and an unconfirmed Originate (``OutcomeUnknownError``) ends the request as
Failed with "the PBX did not confirm; check before calling again".
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import logging
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from bridge.outbox import Outbox, OutboxItem
from connectors.dataverse import (
    DataverseClient,
    NotFoundError,
    PreconditionFailedError,
    RecordId,
    odata,
)
from connectors.errors import (
    AuthError,
    ConnectorError,
    NotSentError,
    RateLimitedError,
    RejectedError,
    UnavailableError,
)
from connectors.pbx.base import OriginateResult, PbxConnector, utc_now
from connectors.settings import Secret
from dataverse_schema.telephony import CLICK_TO_CALL
from domain.calls.click_to_call import (
    ClickToCallRequest,
    ClickToCallStatus,
    DialPlan,
    OriginateOutcome,
    Refusal,
    RequestUpdate,
    outcome_update,
    plan_click_to_call,
    plan_spy,
    refusal_update,
)
from domain.calls.system_settings import TelephonySystemSettings

log = logging.getLogger(__name__)

ENTITY_SET = CLICK_TO_CALL.entity_set_name
_ID = CLICK_TO_CALL.primary_id
_STATUS = CLICK_TO_CALL.column("comms_status").logical_name
_NUMBER = CLICK_TO_CALL.column("comms_number").logical_name
_DIALLED = CLICK_TO_CALL.column("comms_diallednumber").logical_name
_ERROR = CLICK_TO_CALL.column("comms_error").logical_name
_COMPLETED = CLICK_TO_CALL.column("comms_completedon").logical_name
_USER = CLICK_TO_CALL.column("comms_systemuserid").value_property
_LINE = CLICK_TO_CALL.column("comms_phonelineid").value_property
_EXTENSION = CLICK_TO_CALL.column("comms_extensionid").value_property
_SYSTEM = CLICK_TO_CALL.column("comms_telephonysystemid").value_property
_SELECT = (_ID, _STATUS, _NUMBER, _USER, _LINE, _EXTENSION, _SYSTEM)
NO_LINK_ERROR = "the bridge has no working link to this telephony system; ask an administrator"
NO_SYSTEM_ERROR = "you have no extension on any telephony system; ask an administrator to assign one"


class ServiceBusSettings(BaseModel):
    """The queue a Dataverse service endpoint posts new requests to. Times in seconds."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    connection_string: Secret
    queue: str = Field(default="comms-clicktocall", min_length=1)
    max_wait_s: float = Field(default=5.0, gt=0, le=60)
    max_messages: int = Field(default=10, ge=1, le=100)


class ClickToCallSettings(BaseModel):
    """Intake timers and the optional queue. ``environment`` names the outbox target."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    environment: str = Field(min_length=1)
    poll_interval_s: float = Field(default=5.0, gt=0, le=3600)
    sweep_interval_s: float = Field(default=60.0, gt=0, le=3600)
    requests_per_poll: int = Field(default=20, ge=1, le=500)
    ring_timeout_s: float = Field(default=30.0, ge=1, le=120)
    fail_unroutable: bool = True
    service_bus: ServiceBusSettings | None = None


@dataclass(frozen=True)
class _Row:
    """One request row as read, with the etag its claim is conditional on."""

    request: ClickToCallRequest
    status: int | None
    system_record_id: str | None
    etag: str


def action_id_for(request_id: str) -> str:
    """The Originate's ActionID for a request: stable, so the CDR and the PBX logs name the request."""
    return f"c2c-{request_id}"


class ClickToCallIntake:
    """Carries out click-to-call requests for the systems this bridge serves.

    ``systems`` returns the current settings of every served system (refreshed
    from the CRM elsewhere); ``connector_for`` returns a system's PBX connector
    by key, or ``None``. ``receiver`` overrides the Service Bus receiver (tests).
    """

    def __init__(self, settings: ClickToCallSettings, *, client: DataverseClient, outbox: Outbox,
                 systems: Callable[[], Iterable[TelephonySystemSettings]],
                 connector_for: Callable[[str], PbxConnector | None],
                 clock: Callable[[], datetime] = utc_now, receiver: MessageReceiver | None = None):
        self.settings = settings
        self._client, self._outbox, self._systems, self._connector_for = client, outbox, systems, connector_for
        self._clock = clock
        self._receiver = receiver
        self._stopping = asyncio.Event()
        self.dialled: deque[str] = deque(maxlen=100)  # action ids sent, newest last

    async def run(self) -> None:
        """Poll (and listen to the queue, when configured) until :meth:`stop`."""
        self._stopping.clear()
        queued = self.settings.service_bus is not None or self._receiver is not None
        interval = self.settings.sweep_interval_s if queued else self.settings.poll_interval_s
        async with asyncio.TaskGroup() as group:
            if queued:
                group.create_task(self._listen())
            while not self._stopping.is_set():
                await self._guarded(self.poll_once())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), interval)

    async def stop(self) -> None:
        self._stopping.set()

    async def poll_once(self) -> list[str]:
        """One query for pending requests; carries out each. Returns the ids it claimed."""
        rows = await asyncio.to_thread(lambda: list(self._client.query(
            ENTITY_SET, select=_SELECT, filter=odata.eq(_STATUS, int(ClickToCallStatus.PENDING)),
            orderby=["createdon"], top=self.settings.requests_per_poll)))
        claimed = []
        for record in rows:
            if await self._take(_parse_row(record)):
                claimed.append(record[_ID])
        return claimed

    async def handle(self, request_id: str) -> bool:
        """Read one request by id (a queue message) and carry it out if still pending; True if claimed."""
        try:
            record = await asyncio.to_thread(self._client.retrieve, ENTITY_SET, RecordId(request_id), _SELECT)
        except NotFoundError:
            log.info("click-to-call request %s no longer exists", request_id)
            return False
        return await self._take(_parse_row(record))

    async def _take(self, row: _Row) -> bool:
        if row.status != ClickToCallStatus.PENDING:
            return False
        system = self._system_of(row)
        if system is None and (row.system_record_id or not self.settings.fail_unroutable):
            return False  # another bridge serves it
        if not await self._claim(row):
            return False
        if system is None:
            await self._finish(row, RequestUpdate(ClickToCallStatus.FAILED, NO_SYSTEM_ERROR), None)
            return True
        await self._carry_out(row, system)
        return True

    def _system_of(self, row: _Row) -> TelephonySystemSettings | None:
        systems = list(self._systems())
        if row.system_record_id:
            return next((s for s in systems if s.record_id == row.system_record_id), None)
        wanted = row.request.extension
        for system in systems:
            if wanted and any(e.record_id == wanted for e in system.extensions.values()):
                return system
        return next((s for s in systems if s.extension_of_user(row.request.user_id)), None)

    async def _claim(self, row: _Row) -> bool:
        if not row.etag:
            log.warning("click-to-call request %s came without an etag, so it cannot be claimed safely",
                        row.request.request_id)
            return False
        body = {_STATUS: int(ClickToCallStatus.RINGING_EXTENSION)}
        try:
            await asyncio.to_thread(self._client.update, ENTITY_SET, RecordId(row.request.request_id), body,
                                    if_match=row.etag)
        except (PreconditionFailedError, NotFoundError):
            log.info("click-to-call request %s was claimed elsewhere or changed", row.request.request_id)
            return False
        except ValueError as exc:  # an etag we cannot send back: never claim without the condition
            log.warning("click-to-call request %s not claimed: %s", row.request.request_id, exc)
            return False
        return True

    async def _carry_out(self, row: _Row, system: TelephonySystemSettings) -> None:
        connector = self._connector_for(system.key)
        technology, context = _dialling_defaults(connector)
        plan = plan_click_to_call(row.request, system, technology=technology, context=context)
        if isinstance(plan, Refusal):
            log.info("click-to-call request %s refused: %s", row.request.request_id, plan.code.value)
            await self._finish(row, refusal_update(plan), None)
            return
        if connector is None:
            await self._finish(row, RequestUpdate(ClickToCallStatus.FAILED, NO_LINK_ERROR), plan)
            return
        action_id = action_id_for(row.request.request_id)
        self.dialled.append(action_id)
        outcome, reason = await _originate(connector, plan, action_id, self.settings.ring_timeout_s)
        log.info("click-to-call %s on %s: %s", action_id, system.key, outcome.value,
                 extra={"system": system.key, "operation": "originate", "key": action_id})
        await self._finish(row, outcome_update(outcome, reason), plan)

    async def _finish(self, row: _Row, update: RequestUpdate, plan: DialPlan | None) -> None:
        body: dict[str, Any] = {_STATUS: int(update.status), _ERROR: update.error, _COMPLETED: self._clock()}
        if plan is not None:
            body[_DIALLED] = plan.dial_string
        item = OutboxItem(self.settings.environment, ENTITY_SET, RecordId(row.request.request_id), body)
        await asyncio.to_thread(self._outbox.put, item)

    async def _listen(self) -> None:
        receiver = self._receiver or ServiceBusReceiver(self.settings.service_bus)
        try:
            while not self._stopping.is_set():
                await self._guarded(self._drain_queue(receiver))
        finally:
            await receiver.close()

    async def _drain_queue(self, receiver: MessageReceiver) -> None:
        for message in await receiver.receive():
            try:
                request_id = request_id_from_message(message.body)
            except ValueError as exc:
                log.warning("click-to-call queue message kept aside: %s", exc)
                await receiver.dead_letter(message, str(exc))
                continue
            try:
                await self.handle(request_id)
            except ConnectorError:
                await receiver.abandon(message)  # Dataverse unreachable: the queue redelivers it
                raise
            await receiver.complete(message)

    async def _guarded(self, step: Any) -> None:
        try:
            await step
        except ConnectorError as exc:
            log.warning("click-to-call intake: %s", exc, extra={"operation": "intake"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.poll_interval_s)


async def _originate(connector: PbxConnector, plan: DialPlan, action_id: str,
                     timeout_s: float) -> tuple[OriginateOutcome, str | None]:
    """Send the Originate once and say what became of it. Never retried here."""
    extra = {name: value for name, value in (("technology", plan.technology), ("context", plan.context))
             if name in inspect.signature(connector.originate).parameters}
    outcome, reason, _ = await _sent_once(connector.originate(
        plan.device, plan.dial_string, caller_id=plan.caller_id, variables=dict(plan.variables),
        timeout_s=timeout_s, action_id=action_id, **extra))
    return outcome, reason


async def _sent_once(command: Awaitable[OriginateResult]
                     ) -> tuple[OriginateOutcome, str | None, OriginateResult | None]:
    """Await one Originate or spy and classify the connector's answer; never retried."""
    try:
        result = await command
    except AuthError:
        return OriginateOutcome.NOT_PERMITTED, None, None
    except RejectedError as exc:
        return OriginateOutcome.REFUSED, exc.reason, None
    except (NotSentError, UnavailableError, RateLimitedError):
        return OriginateOutcome.NOT_SENT, None, None
    except ConnectorError:  # OutcomeUnknownError, BadReplyError: a phone may be ringing
        return OriginateOutcome.UNCONFIRMED, None, None
    return OriginateOutcome.PLACED, None, result


def _dialling_defaults(connector: PbxConnector | None) -> tuple[str, str]:
    """The channel technology and dialplan context the connector's settings name (AMI), else PJSIP / from-internal."""
    settings = getattr(connector, "settings", None)
    technology = getattr(getattr(settings, "technology", None), "value", None) or "PJSIP"
    context = getattr(settings, "context", None) or "from-internal"
    return str(technology), str(context)


def _parse_row(record: Mapping[str, Any]) -> _Row:
    request = ClickToCallRequest(request_id=str(record[_ID]), user_id=str(record.get(_USER) or ""),
                                 number=str(record.get(_NUMBER) or ""), line=record.get(_LINE),
                                 extension=record.get(_EXTENSION))
    return _Row(request, record.get(_STATUS), record.get(_SYSTEM), str(record.get("@odata.etag") or ""))


@dataclass(frozen=True)
class SpyOutcome:
    """What the console shows after a listen / whisper request (CALL-31)."""

    placed: bool
    reason: str = ""
    result: OriginateResult | None = None


async def spy(*, supervisor_user_id: str, target: str, system: TelephonySystemSettings,
              connector: PbxConnector | None, may_supervise: bool, whisper: bool = False) -> SpyOutcome:
    """Ring the supervisor's extension, then listen to (or whisper into) ``target``'s call (CALL-31).

    ``target`` is an extension number or a live channel; ``may_supervise`` is
    the console's check of the user's CRM role. Sent once; never raises for a
    refusal or a PBX error: the outcome says why in plain words.
    """
    technology, _ = _dialling_defaults(connector)
    plan = plan_spy(supervisor_user_id, target, system, may_supervise=may_supervise, whisper=whisper,
                    technology=technology)
    if isinstance(plan, Refusal):
        return SpyOutcome(False, plan.reason)
    if connector is None:
        return SpyOutcome(False, NO_LINK_ERROR)
    outcome, reason, result = await _sent_once(connector.spy(
        plan.extension, plan.target_channel, whisper=whisper, action_id=f"spy-{uuid.uuid4().hex}"))
    if outcome is not OriginateOutcome.PLACED:
        return SpyOutcome(False, outcome_update(outcome, reason).error or "")
    return SpyOutcome(True, result=result)


# -- Service Bus --------------------------------------------------------------------------------


def request_id_from_message(body: bytes) -> str:
    """The request id a queue message carries: a Dataverse ``RemoteExecutionContext`` (JSON format)
    with ``PrimaryEntityId``, a ``{"requestId": …}`` object, or the bare id. ``ValueError`` otherwise."""
    text = body.decode("utf-8-sig", errors="replace").strip()
    candidate: Any = text
    if text.startswith("{"):
        try:
            document = json.loads(text)
        except ValueError as exc:
            raise ValueError("queue message is not valid JSON") from exc
        entity = document.get("PrimaryEntityName")
        if entity not in (None, CLICK_TO_CALL.logical_name):
            raise ValueError(f"queue message is about {str(entity)[:60]!r}, not a click-to-call request")
        candidate = document.get("PrimaryEntityId") or document.get("requestId")
    try:
        return str(uuid.UUID(str(candidate).strip("{}\"")))
    except ValueError:
        raise ValueError(f"queue message carries no request id ({text[:60]!r})") from None


class MessageReceiver(Protocol):
    """The queue seen by the intake: receive a batch, settle each message, close."""

    async def receive(self) -> list[Any]: ...

    async def complete(self, message: Any) -> None: ...

    async def abandon(self, message: Any) -> None: ...

    async def dead_letter(self, message: Any, reason: str) -> None: ...

    async def close(self) -> None: ...


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
            raise UnavailableError(f"Service Bus: {type(exc).__name__}", system="servicebus",
                                   operation=getattr(function, "__name__", "call")) from exc

    async def receive(self) -> list[_Message]:
        natives = await self._run(self._receiver.receive_messages, self._settings.max_messages,
                                  self._settings.max_wait_s)
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
