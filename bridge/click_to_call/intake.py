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

A request left in *Ringing extension* for ``stale_claim_after_s`` (the bridge
stopped between the claim and the final write, or the claim's reply was
lost) is ended Failed by the stale-claim sweep, conditionally on its etag so
a late real outcome is never overwritten. It is never dialled again: the
phone may have rung.

The queue lives in :mod:`bridge.click_to_call.queue`, the PBX commands in
:mod:`bridge.click_to_call.dial` and the row's columns in
:mod:`services.calls.click_to_call`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bridge.click_to_call.dial import (
    NO_LINK_ERROR,
    action_id_for,
    dialling_defaults,
    originate_once,
)
from bridge.click_to_call.links import ClickToCallLinks
from bridge.click_to_call.queue import (
    MessageReceiver,
    ServiceBusReceiver,
    ServiceBusSettings,
    drain_once,
)
from bridge.outbox.store import Outbox, OutboxItem
from connectors.dataverse import DataverseClient, NotFoundError, PreconditionFailedError, RecordId
from connectors.errors import ConnectorError
from connectors.pbx.base import PbxConnector, utc_now
from dataverse_schema.names import ClickToCall
from domain.calls.click_to_call import (
    ClickToCallStatus,
    DialPlan,
    Refusal,
    RequestUpdate,
    outcome_update,
    plan_click_to_call,
    refusal_update,
)
from domain.calls.system_settings import TelephonySystemSettings
from services.calls.click_to_call import (
    ENTITY_SET,
    ID,
    SELECT,
    RequestRow,
    claim_body,
    final_body,
    parse_row,
    pending_filter,
    stale_claim_filter,
)

__all__ = ["NO_SYSTEM_ERROR", "STALE_CLAIM_ERROR", "ClickToCallIntake", "ClickToCallSettings"]

log = logging.getLogger(__name__)

NO_SYSTEM_ERROR = "you have no extension on any telephony system; ask an administrator to assign one"
STALE_CLAIM_ERROR = "the bridge stopped before it could confirm the call; check before calling again"
#: How far past the ring timeout a claim must be before the sweep may call it stale.
STALE_MARGIN_S = 30.0


class ClickToCallSettings(BaseModel):
    """Intake timers and the optional queue. ``environment`` names the outbox target.

    ``stale_claim_after_s`` is how long a request may stay *Ringing extension*
    before the sweep ends it Failed; it must be well past ``ring_timeout_s``
    (by at least ``STALE_MARGIN_S``), because a call in progress looks the same.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    environment: str = Field(min_length=1)
    poll_interval_s: float = Field(default=5.0, gt=0, le=3600)
    sweep_interval_s: float = Field(default=60.0, gt=0, le=3600)
    requests_per_poll: int = Field(default=20, ge=1, le=500)
    ring_timeout_s: float = Field(default=30.0, ge=1, le=120)
    stale_claim_after_s: float = Field(default=120.0, gt=0, le=86400)
    fail_unroutable: bool = True
    service_bus: ServiceBusSettings | None = None

    @model_validator(mode="after")
    def _stale_after_ring(self) -> ClickToCallSettings:
        if self.stale_claim_after_s < self.ring_timeout_s + STALE_MARGIN_S:
            raise ValueError(
                f"stale_claim_after_s must be at least ring_timeout_s + {STALE_MARGIN_S:g} s "
                f"({self.ring_timeout_s + STALE_MARGIN_S:g} s), or calls still ringing would be ended"
            )
        return self


class ClickToCallIntake:
    """Carries out click-to-call requests for the systems this bridge serves.

    ``systems`` returns the current settings of every served system (refreshed
    from the CRM elsewhere); ``connector_for`` returns a system's PBX connector
    by key, or ``None``. ``receiver`` overrides the Service Bus receiver (tests). ``links``, when given,
    is told which call each placed Originate began, so the request row gets its phone call.
    """

    def __init__(
        self,
        settings: ClickToCallSettings,
        *,
        client: DataverseClient,
        outbox: Outbox,
        systems: Callable[[], Iterable[TelephonySystemSettings]],
        connector_for: Callable[[str], PbxConnector | None],
        clock: Callable[[], datetime] = utc_now,
        receiver: MessageReceiver | None = None,
        links: ClickToCallLinks | None = None,
    ):
        self.settings = settings
        self._client, self._outbox, self._systems, self._connector_for = client, outbox, systems, connector_for
        self._clock = clock
        self._receiver = receiver
        self._links = links
        self._stopping = asyncio.Event()
        self.dialled: deque[str] = deque(maxlen=100)  # action ids sent, newest last
        # Requests this intake claimed: in progress, or their outcome is in the outbox. The sweep leaves them.
        self._claimed_here: deque[str] = deque(maxlen=1000)
        self._last_sweep: float | None = None

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
                if self._sweep_due():
                    await self._guarded(self.sweep_stale_once())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), interval)

    async def stop(self) -> None:
        self._stopping.set()

    async def poll_once(self) -> list[str]:
        """One query for pending requests; carries out each. Returns the ids it claimed."""
        rows = await asyncio.to_thread(
            lambda: list(
                self._client.query(
                    ENTITY_SET,
                    select=SELECT,
                    filter=pending_filter(),
                    orderby=[ClickToCall.CREATEDON],
                    top=self.settings.requests_per_poll,
                )
            )
        )
        claimed = []
        for record in rows:
            if await self._take(parse_row(record)):
                claimed.append(record[ID])
        return claimed

    async def sweep_stale_once(self) -> list[str]:
        """End Failed every request of a served system left *Ringing extension* too long; returns their ids.

        Each write is conditional on the etag read, so a row whose real outcome
        arrives meanwhile keeps it. Nothing is dialled.
        """
        self._last_sweep = asyncio.get_running_loop().time()
        now = self._clock()
        cutoff = now - timedelta(seconds=self.settings.stale_claim_after_s)
        rows = await asyncio.to_thread(
            lambda: list(
                self._client.query(
                    ENTITY_SET,
                    select=SELECT,
                    filter=stale_claim_filter(cutoff),
                    orderby=[ClickToCall.MODIFIEDON],
                    top=self.settings.requests_per_poll,
                )
            )
        )
        ended = []
        for row in map(parse_row, rows):
            if row.request.request_id in self._claimed_here or not self._serves(row) or not row.etag:
                continue
            body = final_body(RequestUpdate(ClickToCallStatus.FAILED, STALE_CLAIM_ERROR), None, now)
            try:
                await asyncio.to_thread(
                    self._client.update, ENTITY_SET, RecordId(row.request.request_id), body, if_match=row.etag
                )
            except (PreconditionFailedError, NotFoundError, ValueError):
                continue  # it moved on (its outcome arrived) or is gone: nothing to end
            log.warning(
                "click-to-call request %s was left ringing by a stopped bridge; ended as failed",
                row.request.request_id,
                extra={"operation": "stale-claim", "key": row.request.request_id},
            )
            ended.append(row.request.request_id)
        return ended

    def _sweep_due(self) -> bool:
        if self._last_sweep is None:
            return True
        return asyncio.get_running_loop().time() - self._last_sweep >= self.settings.sweep_interval_s

    async def handle(self, request_id: str) -> bool:
        """Read one request by id (a queue message) and carry it out if still pending; True if claimed."""
        try:
            record = await asyncio.to_thread(self._client.retrieve, ENTITY_SET, RecordId(request_id), SELECT)
        except NotFoundError:
            log.info("click-to-call request %s no longer exists", request_id)
            return False
        return await self._take(parse_row(record))

    async def _take(self, row: RequestRow) -> bool:
        if row.status != ClickToCallStatus.PENDING or not self._serves(row):
            return False
        if not await self._claim(row):
            return False
        system = self._system_of(row)
        if system is None:
            await self._finish(row, RequestUpdate(ClickToCallStatus.FAILED, NO_SYSTEM_ERROR), None)
            return True
        await self._carry_out(row, system)
        return True

    def _serves(self, row: RequestRow) -> bool:
        """Whether this bridge answers for the row: its system is served here, or it names none and
        unroutable requests are failed here (otherwise another bridge serves it)."""
        if self._system_of(row) is not None:
            return True
        return not row.system_record_id and self.settings.fail_unroutable

    def _system_of(self, row: RequestRow) -> TelephonySystemSettings | None:
        systems = list(self._systems())
        if row.system_record_id:
            return next((s for s in systems if s.record_id == row.system_record_id), None)
        wanted = row.request.extension
        for system in systems:
            if wanted and any(e.record_id == wanted for e in system.extensions.values()):
                return system
        return next((s for s in systems if s.extension_of_user(row.request.user_id)), None)

    async def _claim(self, row: RequestRow) -> bool:
        if not row.etag:
            log.warning(
                "click-to-call request %s came without an etag, so it cannot be claimed safely", row.request.request_id
            )
            return False
        try:
            await asyncio.to_thread(
                self._client.update, ENTITY_SET, RecordId(row.request.request_id), claim_body(), if_match=row.etag
            )
        except (PreconditionFailedError, NotFoundError):
            log.info("click-to-call request %s was claimed elsewhere or changed", row.request.request_id)
            return False
        except ValueError as exc:  # an etag we cannot send back: never claim without the condition
            log.warning("click-to-call request %s not claimed: %s", row.request.request_id, exc)
            return False
        self._claimed_here.append(row.request.request_id)
        return True

    async def _carry_out(self, row: RequestRow, system: TelephonySystemSettings) -> None:
        connector = self._connector_for(system.key)
        technology, context = dialling_defaults(connector, system)
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
        extension = system.extensions.get(plan.extension)
        outcome, reason, placed = await originate_once(
            connector,
            plan,
            action_id,
            self.settings.ring_timeout_s,
            named_channel=bool(extension and extension.channel.strip()),
        )
        log.info(
            "click-to-call %s on %s: %s",
            action_id,
            system.key,
            outcome.value,
            extra={"system": system.key, "operation": "originate", "key": action_id},
        )
        if placed is not None and self._links is not None:  # the row gets its phone call once that is written
            self._links.expect(self.settings.environment, system.key, placed.uniqueid, row.request.request_id)
        await self._finish(row, outcome_update(outcome, reason), plan)

    async def _finish(self, row: RequestRow, update: RequestUpdate, plan: DialPlan | None) -> None:
        item = OutboxItem(
            self.settings.environment,
            ENTITY_SET,
            RecordId(row.request.request_id),
            final_body(update, plan, self._clock()),
        )
        await asyncio.to_thread(self._outbox.put, item)

    async def _listen(self) -> None:
        receiver = self._receiver or ServiceBusReceiver(self.settings.service_bus)
        try:
            while not self._stopping.is_set():
                await self._guarded(drain_once(receiver, self.handle))
        finally:
            await receiver.close()

    async def _guarded(self, step: Awaitable[Any]) -> None:
        try:
            await step
        except ConnectorError as exc:
            log.warning("click-to-call intake: %s", exc, extra={"operation": "intake"})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), self.settings.poll_interval_s)
