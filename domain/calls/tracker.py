"""Live calls: feed every connector's events in, get each call's record changes out.

One :class:`CallTracker` per bridge holds the calls of all telephony systems,
keyed by ``(system, call_id)``. Each distinct event refolds its call (see
:mod:`domain.calls.fold`) and yields a :class:`CallUpdate` saying what changed,
for pop-ups (CALL-03, CALL-05) and the phone-call upsert (CALL-07, CALL-08).
``sweep(now)`` ends calls whose hang-up never came and forgets ended calls
once late duplicates can no longer arrive. Pure: the caller passes ``now``.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from domain.calls.events import CallEvent, EventKind
from domain.calls.fold import canonical_order, fingerprint, fold
from domain.calls.record import CallRecord, CallUpdate, changes_between

DEFAULT_STALE_AFTER = timedelta(hours=4)
DEFAULT_RETAIN_ENDED = timedelta(minutes=15)


@dataclass
class _Call:
    events: list[CallEvent]
    seen: set[tuple]
    record: CallRecord
    last_event_at: datetime


class CallTracker:
    """Folds events per call and reports changes.

    ``hidden_extensions`` maps a system key to the extensions that must never
    be the answering extension (DISA, ring groups: CALL-27). ``stale_after``:
    a call with no event for that long is ended (its hang-up was lost);
    ``retain_ended``: how long an ended call is kept to absorb duplicates.
    """

    def __init__(
        self,
        *,
        hidden_extensions: Mapping[str, Collection[str]] | None = None,
        stale_after: timedelta = DEFAULT_STALE_AFTER,
        retain_ended: timedelta = DEFAULT_RETAIN_ENDED,
    ):
        self._hidden = {system: frozenset(exts) for system, exts in (hidden_extensions or {}).items()}
        self._stale_after = stale_after
        self._retain_ended = retain_ended
        self._calls: dict[tuple[str, str], _Call] = {}

    def apply(self, event: CallEvent) -> CallUpdate | None:
        """Fold ``event`` into its call; ``None`` for STATE events and duplicates."""
        if event.kind is EventKind.STATE:
            return None
        key = (event.system, event.call_id)
        call = self._calls.get(key)
        identity = fingerprint(event)
        if call is not None and identity in call.seen:
            return None
        previous = call.record if call else None
        events = [*call.events, event] if call else [event]
        record = fold(events, hidden_extensions=self._hidden.get(event.system, ()))
        last_at = max(event.at, call.last_event_at) if call else event.at
        self._calls[key] = _Call(canonical_order(events), {*(call.seen if call else ()), identity}, record, last_at)
        return CallUpdate(record, previous, changes_between(previous, record))

    def restore(self, events: Sequence[CallEvent]) -> CallRecord:
        """Take back a call the bridge had open before a restart (CALL-14): its events are folded as
        they were, with no update (its activity was already written). Raises ``ValueError`` when the
        events hold no call or mix calls; a call already tracked is left as it is."""
        record = fold(events, hidden_extensions=self._hidden.get(events[0].system, ()) if events else ())
        key = (record.system, record.call_id)
        if key not in self._calls:
            ordered = canonical_order(events)
            self._calls[key] = _Call(ordered, {fingerprint(e) for e in ordered}, record, max(e.at for e in ordered))
        return self._calls[key].record

    def events_of(self, system: str, call_id: str) -> tuple[CallEvent, ...]:
        """The distinct events of a tracked call in canonical order; empty when it is not tracked."""
        call = self._calls.get((system, call_id))
        return tuple(call.events) if call else ()

    def set_hidden_extensions(self, system: str, extensions: Collection[str]) -> None:
        """Replace ``system``'s hidden extensions (the CRM changed them); later folds use the new set."""
        self._hidden[system] = frozenset(extensions)

    def get(self, system: str, call_id: str) -> CallRecord | None:
        call = self._calls.get((system, call_id))
        return call.record if call else None

    def live_calls(self) -> list[CallRecord]:
        """Calls not yet ended, oldest first (CALL-09, CALL-30)."""
        live = [c.record for c in self._calls.values() if not c.record.is_ended]
        return sorted(live, key=lambda r: (r.started_at, r.key))

    def sweep(self, now: datetime) -> list[CallUpdate]:
        """End stale calls and forget old ended ones; returns the updates for ended calls.

        A stale call is ended by an inferred hang-up at its last event's time,
        with no cause: answered calls keep their talk time up to then,
        unanswered ones become missed / no answer.
        """
        updates = []
        for key, call in list(self._calls.items()):
            if call.record.is_ended:
                if call.last_event_at + self._retain_ended <= now:
                    del self._calls[key]
            elif call.last_event_at + self._stale_after <= now:
                lost_hangup = CallEvent(EventKind.HANGUP, key[0], key[1], at=call.last_event_at, is_inferred=True)
                update = self.apply(lost_hangup)
                if update is not None:
                    updates.append(update)
        return updates

    def __len__(self) -> int:
        return len(self._calls)
