"""A test listener plug-in for the open-call restart tests: each call update becomes one phone-call upsert
whose subject reads ``<call id>: <state>[ inferred]`` and whose talk time is the record's (CALL-14)."""

from __future__ import annotations

from bridge.outbox.store import OutboxItem
from connectors.dataverse import AlternateKey
from domain.calls.events import CallEvent
from domain.calls.record import CallUpdate
from domain.calls.system_settings import TelephonySystemSettings


class ClosingUpserts:
    def __init__(self, bridge):
        self._bridge = bridge

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        record = update.record
        state = record.outcome.value if record.outcome else record.status.value
        body = {
            "subject": f"{record.call_id}: {state}{' inferred' if record.is_end_inferred else ''}",
            "comms_talkseconds": record.talk_seconds or 0,
        }
        for environment in self._bridge.environments_of(system.key):
            self._bridge.enqueue(
                OutboxItem(
                    environment,
                    "phonecalls",
                    AlternateKey({"comms_systemkey": system.key, "comms_pbxcallid": record.call_id}),
                    body,
                )
            )

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        """Extension states are not logged."""


def from_bridge(bridge) -> ClosingUpserts:
    return ClosingUpserts(bridge)
