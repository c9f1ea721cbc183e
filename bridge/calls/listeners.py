"""What the bridge's call pipeline tells the parts that act on calls.

Every worker folds its connector's events through the shared
:class:`~domain.calls.tracker.CallTracker`; each resulting
:class:`~domain.calls.record.CallUpdate` and each extension-state event is
handed, in the event loop, to every registered listener: the call logger
(phone-call activities, CALL-07), the console's live feed and pop-ups
(CALL-03, -05, -09, -30), the recording fetcher (CALL-28).

Listeners are called inline on the loop, so they must return fast (well under
a millisecond): write to the outbox or a queue, never wait on the network.
A listener that raises is logged and skipped; the others still run.
"""

from __future__ import annotations

from typing import Protocol

from domain.calls.events import CallEvent
from domain.calls.record import CallUpdate
from domain.calls.system_settings import TelephonySystemSettings


class CallListener(Protocol):
    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        """A call's record changed (``update.changes`` says how)."""
        ...

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        """An extension's device state changed (``event.kind`` is STATE)."""
        ...
