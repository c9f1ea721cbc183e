"""A listener the reliability probe adds after the call logger: it notes each call update the bridge
accepted, as ``<unix time> <system> <number> <state>``, so the probe knows what the bridge had taken
in before it was stopped or killed. The state of a call known only from the PBX's call detail record ends
in ``+cdr``.

Loaded as ``bench.reliability_ack:from_bridge``; the file is named by ``COMMS_PROBE_ACK_FILE``.
"""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any

from domain.calls.record import CallUpdate
from domain.calls.system_settings import TelephonySystemSettings


class AckFile:
    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        record = update.record
        state = record.outcome.value if record.outcome else record.status.value
        state += "+cdr" if record.is_from_cdr else ""
        number = record.external_number or "-"
        with contextlib.suppress(OSError):  # the probe's own note; a full disk must not change what the bridge does
            os.write(self._fd, f"{time.time():.3f} {system.key} {number} {state}\n".encode())

    def on_state(self, event: object, system: TelephonySystemSettings) -> None:
        """Extension and link states are not calls; nothing to note."""

    def close(self) -> None:
        os.close(self._fd)


def from_bridge(bridge: Any) -> AckFile:
    ack = AckFile(os.environ["COMMS_PROBE_ACK_FILE"])
    bridge.on_shutdown(ack.close)
    return ack
