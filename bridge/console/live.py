"""The console's live view: a call listener that keeps calls, history and extension states (CALL-03, -05, -09, -30).

:class:`LiveView` implements the bridge's ``CallListener`` contract. It is
called inline on the event loop, so it only updates dicts and hands messages
to each browser's bounded queue with ``put_nowait``; serialising and writing
happen in the browser's own task. A browser whose queue is full is dropped
(its stream is closed and it reconnects with a fresh snapshot), never waited
on. What each browser receives is filtered by the visibility rule (CALL-34).
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bridge.console.views import call_view, extension_view, open_form_reason, popup_reason, state_of
from bridge.console.visibility import (
    Viewer,
    can_see_call,
    can_see_extension,
    extensions_on,
    own_extensions,
)
from domain.calls.events import CallEvent, Direction
from domain.calls.record import CallRecord, CallStatus, CallUpdate
from domain.calls.system_settings import TelephonySystemSettings
from domain.number_index import NO_MATCH, Match, NumberIndex
from domain.numbers import normalise

log = logging.getLogger(__name__)

#: Finds the CRM record behind a call's number (from the local index: no network).
CallerMatcher = Callable[[CallRecord, TelephonySystemSettings], Match]
#: (event name, payload, pop-up reason for this browser or None); None alone closes the stream.
Message = tuple[str, Mapping[str, Any], str | None]


class TooManySubscribersError(RuntimeError):
    """The console already streams to its configured maximum of browsers."""


def index_matcher(index_for: Callable[[str], NumberIndex | None]) -> CallerMatcher:
    """A matcher over the bridge's per-system :class:`NumberIndex` (``index_for(system_key)``)."""

    def match(record: CallRecord, system: TelephonySystemSettings) -> Match:
        index = index_for(system.key)
        if index is None or not record.external_number:
            return NO_MATCH
        number = normalise(record.external_number, system.plan, dialled=record.direction is Direction.OUTBOUND)
        if number is None or not number.is_external:
            return NO_MATCH
        on = record.extension or next(iter(record.ringing_extensions), None)
        return index.lookup(number, owner_id=system.user_of(on))

    return match


@dataclass(eq=False)
class Subscriber:
    """One browser's stream: who it is and its bounded queue of messages."""

    viewer: Viewer
    queue: asyncio.Queue[Message | None]
    dropped: bool = False
    _own: dict[str, tuple[TelephonySystemSettings, frozenset[str]]] = field(default_factory=dict)

    def own(self, system: TelephonySystemSettings) -> frozenset[str]:
        """This viewer's extensions on ``system``, cached until the system's settings object changes."""
        cached = self._own.get(system.key)
        if cached is None or cached[0] is not system:
            cached = (system, own_extensions(system, self.viewer.user_id))
            self._own[system.key] = cached
        return cached[1]


@dataclass(frozen=True)
class _Call:
    record: CallRecord
    match: Match
    system: TelephonySystemSettings
    view: Mapping[str, Any]

    @property
    def owner_id(self) -> str | None:
        return self.match.best.owner_id if self.match.best else None


class LiveView:
    """Live calls, recent history and extension states, fanned out to browsers (``CallListener``).

    ``matcher`` finds the caller's CRM record locally (see :func:`index_matcher`);
    ``user_names`` maps Dynamics user ids (lower case) to display names.
    ``open_form_on_answer``: when a call connects at a viewer's extension, their
    stream also gets an ``open_form`` message naming the phone call (CALL-36).
    """

    def __init__(
        self,
        *,
        org_url: str = "",
        matcher: CallerMatcher | None = None,
        user_names: Mapping[str, str] | None = None,
        history_size: int = 200,
        queue_size: int = 256,
        max_subscribers: int = 200,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        open_form_on_answer: bool = False,
        responsible_for: Callable[[str], frozenset[str]] = lambda call_key: frozenset(),
    ):
        self._org_url = org_url
        self._open_form_on_answer = open_form_on_answer
        self._responsible_for = responsible_for
        self._matcher = matcher or (lambda record, system: NO_MATCH)
        self._user_names = {k.lower(): v for k, v in (user_names or {}).items()}
        self._queue_size = queue_size
        self._max_subscribers = max_subscribers
        self._clock = clock
        self._systems: dict[str, TelephonySystemSettings] = {}
        self._live: dict[str, _Call] = {}
        self._history: deque[_Call] = deque(maxlen=history_size)
        self._states: dict[tuple[str, str], tuple[str, datetime]] = {}
        self._subscribers: set[Subscriber] = set()
        self.dropped_subscribers = 0

    # -- CallListener ------------------------------------------------------------------------

    def on_call(self, update: CallUpdate, system: TelephonySystemSettings) -> None:
        record = update.record
        self._systems[system.key] = system
        earlier = self._live.get(record.key) or self._in_history(record.key)
        if earlier is not None and earlier.record.revision >= record.revision:
            return
        match = self._reuse_match(earlier, record, system)
        view = call_view(record, match, system, org_url=self._org_url, user_names=self._user_names)
        call = _Call(record, match, system, view)
        if record.is_ended:
            self._live.pop(record.key, None)
            self._remember(call)
        else:
            self._live[record.key] = call
        self._publish_call(call, update)
        touched = extensions_on(record) | (extensions_on(earlier.record) if earlier else frozenset())
        for extension in sorted(touched - system.hidden_extensions):
            self._publish_extension(system, extension)

    def on_state(self, event: CallEvent, system: TelephonySystemSettings) -> None:
        self._systems[system.key] = system
        extension = event.extension
        if not extension or extension in system.hidden_extensions:
            return
        self._states[(system.key, extension)] = (state_of(event), event.at)
        self._publish_extension(system, extension)

    # -- what the server asks ------------------------------------------------------------------

    def set_systems(self, systems: Iterable[TelephonySystemSettings]) -> None:
        """Seed or refresh the known systems (their extensions show before any event arrives)."""
        for system in systems:
            self._systems[system.key] = system

    def systems(self) -> list[TelephonySystemSettings]:
        return [self._systems[key] for key in sorted(self._systems)]

    def system(self, key: str) -> TelephonySystemSettings | None:
        return self._systems.get(key)

    def live_call(self, key: str) -> tuple[CallRecord, TelephonySystemSettings] | None:
        call = self._live.get(key)
        return (call.record, call.system) if call else None

    def can_see(self, viewer: Viewer, key: str) -> bool:
        call = self._live.get(key) or self._in_history(key)
        if call is None:
            return False
        own = own_extensions(call.system, viewer.user_id)
        shared = self._responsible_for(call.record.key)
        return can_see_call(viewer, call.record, call.system, call.owner_id, own, shared)

    def may_read_record(self, viewer: Viewer, table: str, record_id: str) -> bool:
        """Whether a live or recent call ``viewer`` can see was matched to this record.

        Cards are read with the bridge's application user, not the viewer's
        Dynamics rights, so a card is shown only for a caller on a visible call.
        """
        probe = Subscriber(viewer, asyncio.Queue(1))
        for call in (*self._live.values(), *self._history):
            best = call.match.best
            if best and best.table == table and best.record_id.lower() == record_id and self._visible(probe, call):
                return True
        return False

    def snapshot(self, viewer: Viewer) -> dict[str, Any]:
        """Everything ``viewer`` may see right now."""
        probe = Subscriber(viewer, asyncio.Queue(1))
        return {
            "server_time": self._clock().isoformat(),
            "calls": [c.view for c in self._live.values() if self._visible(probe, c)],
            "history": [c.view for c in self._history if self._visible(probe, c)],
            "extensions": self._extension_views(probe),
        }

    def subscribe(self, viewer: Viewer) -> Subscriber:
        """Open a stream for ``viewer``; its first message is a snapshot."""
        if len(self._subscribers) >= self._max_subscribers:
            raise TooManySubscribersError(f"already streaming to {self._max_subscribers} browsers")
        subscriber = Subscriber(viewer, asyncio.Queue(self._queue_size))
        subscriber.queue.put_nowait(("snapshot", self.snapshot(viewer), None))
        self._subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    @property
    def subscriber_count(self) -> int:
        return len(self._subscribers)

    def broadcast(self, kind: str, payload: Mapping[str, Any]) -> None:
        """Send the same message to every browser (connection health)."""
        for subscriber in list(self._subscribers):
            self._offer(subscriber, (kind, payload, None))

    # -- internals ------------------------------------------------------------------------------

    def _reuse_match(self, earlier: _Call | None, record: CallRecord, system: TelephonySystemSettings) -> Match:
        if (
            earlier is not None
            and earlier.record.external_number == record.external_number
            and earlier.record.extension == record.extension
        ):
            return earlier.match
        try:
            return self._matcher(record, system)
        except Exception:  # a broken index must not stop pop-ups; the call shows unmatched
            log.exception("caller match failed", extra={"system": system.key, "call": record.call_id})
            return NO_MATCH

    def _in_history(self, key: str) -> _Call | None:
        return next((c for c in self._history if c.record.key == key), None)

    def _remember(self, call: _Call) -> None:
        for index, existing in enumerate(self._history):
            if existing.record.key == call.record.key:
                del self._history[index]
                break
        self._history.appendleft(call)

    def _visible(self, subscriber: Subscriber, call: _Call) -> bool:
        own = subscriber.own(call.system)
        return can_see_call(
            subscriber.viewer, call.record, call.system, call.owner_id, own, self._responsible_for(call.record.key)
        )

    def _publish_call(self, call: _Call, update: CallUpdate) -> None:
        for subscriber in list(self._subscribers):
            if not self._visible(subscriber, call):
                continue
            own = subscriber.own(call.system)
            reason = popup_reason(call.record, update.changes, own, True)
            self._offer(subscriber, ("call", call.view, reason))
            form = call.view.get("phone_call")
            if self._open_form_on_answer and form and open_form_reason(call.record, update.changes, own):
                self._offer(subscriber, ("open_form", {"key": call.record.key, **form}, None))

    def _publish_extension(self, system: TelephonySystemSettings, extension: str) -> None:
        view = self._extension_view(system, extension, self._calls_by_extension(system.key))
        for subscriber in list(self._subscribers):
            if can_see_extension(subscriber.viewer, system, extension, subscriber.own(system)):
                self._offer(subscriber, ("extension", view, None))

    def _offer(self, subscriber: Subscriber, message: Message) -> None:
        try:
            subscriber.queue.put_nowait(message)
        except asyncio.QueueFull:
            subscriber.dropped = True
            self._subscribers.discard(subscriber)
            self.dropped_subscribers += 1
            log.warning("console browser too slow, stream dropped", extra={"user": subscriber.viewer.user_id})

    def _calls_by_extension(self, system_key: str) -> dict[str, _Call]:
        found: dict[str, _Call] = {}
        for call in self._live.values():
            if call.record.system != system_key:
                continue
            if call.record.status is CallStatus.TALKING and call.record.extension:
                found[call.record.extension] = call
            for extension in call.record.ringing_extensions:
                found.setdefault(extension, call)
        return found

    def _extension_view(
        self, system: TelephonySystemSettings, extension: str, calls: Mapping[str, _Call]
    ) -> dict[str, Any]:
        call = calls.get(extension)
        known = self._states.get((system.key, extension))
        if known is not None:
            state, since = known
        elif call is not None:
            talking = call.record.status is CallStatus.TALKING and call.record.extension == extension
            state, since = ("talking" if talking else "ringing"), call.record.answered_at or call.record.started_at
        else:
            state, since = "unknown", None
        return extension_view(
            system, extension, state, since, user_names=self._user_names, call=call.view if call else None
        )

    def _extension_views(self, probe: Subscriber) -> list[dict[str, Any]]:
        views = []
        for system in self.systems():
            seen = {ext for key, ext in self._states if key == system.key}
            numbers = (set(system.extensions) | seen) - system.hidden_extensions
            calls = self._calls_by_extension(system.key)
            for extension in sorted(numbers, key=lambda n: (len(n), n)):
                if can_see_extension(probe.viewer, system, extension, probe.own(system)):
                    views.append(self._extension_view(system, extension, calls))
        return views
