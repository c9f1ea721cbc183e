"""Calls the bridge had open when it stopped: what to do with each after a restart (CALL-14).

The bridge keeps the events of every call under way in a local file; after a
stop (SIGTERM, a crash, ``kill -9``) it takes them back and decides, per call:

* the device reported it again meanwhile, or it is already ended: nothing to do;
* the device lists its calls at login (AMI's CoreShowChannels) and still has
  it: **adopt** it, same PBX call id, so the same activity; its real hang-up
  will end it;
* the device still lists its calls but no longer has it: **end** it now;
* the device lists nothing (SMDR, caller-ID): **wait** a grace period for its
  own record (which settles the call whenever it comes), then **end** it.

An ended call gets an inferred hang-up (:func:`inferred_hangup`) at the last
moment it was known to be up: answered calls keep their talk time up to then,
ringing ones become missed / no answer, and the record says the end was
inferred. Pure: the caller passes ``now`` and the snapshot.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import datetime, timedelta

from domain.calls.events import CallEvent, EventKind
from domain.calls.record import CallRecord

DEFAULT_GRACE = timedelta(minutes=5)


class Verdict(enum.Enum):
    SETTLED = "settled"  # ended meanwhile by the device's own events
    ADOPT = "adopt"
    END = "end"
    WAIT = "wait"


def restart_verdict(
    record: CallRecord,
    *,
    lists_calls: bool,
    live_call_ids: frozenset[str] | None,
    restarted_at: datetime,
    now: datetime,
    grace: timedelta = DEFAULT_GRACE,
) -> Verdict:
    """What to do with ``record``, a call open when the bridge stopped.

    ``lists_calls``: its device reports the calls under way at login;
    ``live_call_ids``: the call ids of its first snapshot since the restart
    (``None`` while none came). ``grace`` applies to devices that list nothing.
    """
    if record.is_ended:
        return Verdict.SETTLED
    if lists_calls:
        if live_call_ids is None:
            return Verdict.WAIT
        return Verdict.ADOPT if record.call_id in live_call_ids else Verdict.END
    return Verdict.END if now >= restarted_at + grace else Verdict.WAIT


def inferred_hangup(events: Sequence[CallEvent], last_seen_at: datetime | None) -> CallEvent:
    """The hang-up that ends a call whose real one the bridge missed, at the later of its last
    event and ``last_seen_at`` (the bridge's last sign of life with the call open).

    Raises ``ValueError`` when ``events`` hold no call event.
    """
    calls = [e for e in events if e.kind is not EventKind.STATE]
    if not calls:
        raise ValueError("no call events to end")
    last_event_at = max(e.at for e in calls)
    at = max(last_event_at, last_seen_at) if last_seen_at is not None else last_event_at
    return CallEvent(EventKind.HANGUP, calls[0].system, calls[0].call_id, at=at, is_inferred=True)
