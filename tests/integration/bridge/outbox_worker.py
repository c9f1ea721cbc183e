"""A stand-in bridge for the kill -9 test: queue calls ``start``..``count-1`` in the outbox, draining as it goes.

Usage: ``python outbox_worker.py OUTBOX_DB EMULATOR_ORIGIN START COUNT``. After each
``put`` returns it prints ``queued <n>``, the acknowledgement a PBX would get; a
restarted worker is given the first unacknowledged call as ``START``, as a PBX
resends what was never acknowledged. It ends by draining everything.
"""

from __future__ import annotations

import sys

import requests

from bridge.outbox.drainer import Drainer
from bridge.outbox.store import Outbox, OutboxItem
from connectors.dataverse import AlternateKey, DataverseClient, StaticToken
from connectors.pbx.transport.backoff import Backoff

ENVIRONMENT = "emulator"
SYSTEM_KEY = "pbx-kill"


def call_item(n: int) -> OutboxItem:
    return OutboxItem(
        ENVIRONMENT,
        "phonecalls",
        AlternateKey({"comms_systemkey": SYSTEM_KEY, "comms_pbxcallid": f"call-{n}"}),
        {"subject": f"Call {n}", "comms_talkseconds": n},
    )


def main(db_path: str, origin: str, start: int, count: int) -> int:
    client = DataverseClient(
        base_url=origin,
        session=requests.Session(),
        token_provider=StaticToken("bridge"),
        timeout=(2.0, 10.0),
        retry=None,
    )
    with Outbox(db_path) as outbox:
        drainer = Drainer(outbox, client, ENVIRONMENT, batch_size=25, backoff=Backoff(0.05, 0.5))
        for n in range(start, count):
            outbox.put(call_item(n))
            print(f"queued {n}", flush=True)
            if n % 3 == 0:
                drainer.drain_once()
        if not drainer.drain_until_empty(timeout_s=30):
            return 1
    print("drained", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])))
