"""A test listener plug-in: each call update becomes a phone-call upsert in every environment of its system.

Loaded by the daemon from ``[bridge] listeners = ["tests.integration.bridge.call_listener:from_bridge"]``
(H2's call logger takes this place in the product). When ``BRIDGE_TEST_SEEN_FILE`` is set, each
update is also appended there as ``<call id> <revision> <state>`` after the outbox accepted it, so a
test knows exactly what the bridge acknowledged before it was stopped or killed.
"""

from __future__ import annotations

import os

from bridge.outbox.store import OutboxItem
from connectors.dataverse import AlternateKey
from domain.calls.events import CallEvent
from domain.calls.record import CallUpdate
from domain.calls.system_settings import TelephonySystemSettings


class PhoneCallUpserts:
    def __init__(self, bridge, seen_path: str | None = None):
        self._bridge = bridge
        self._seen = open(seen_path, "a", encoding="utf-8") if seen_path else None  # noqa: SIM115
        self.states: list[CallEvent] = []
        bridge.on_shutdown(self.close)

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        record = update.record
        state = record.outcome.value if record.outcome else record.status.value
        body = {
            "subject": f"Call {record.call_id} on {system.name}: {state}",
            "comms_ringseconds": record.ring_seconds or 0,
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
        if self._seen is not None:
            self._seen.write(f"{record.call_id} {record.revision} {state}\n")
            self._seen.flush()

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        self.states.append(event)

    def close(self) -> None:
        if self._seen is not None:
            self._seen.close()


def from_bridge(bridge) -> PhoneCallUpserts:
    return PhoneCallUpserts(bridge, os.environ.get("BRIDGE_TEST_SEEN_FILE"))
