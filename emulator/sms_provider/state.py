"""What the fake SMS provider remembers: sent messages, their delivery progress, inbound texts, credit, faults.

One :class:`ProviderState` is shared by the REST and SOAP front ends and guarded by one
lock, so concurrent requests never hand out the same message id or count a send twice.
Delivery status is derived from the time since the send (queued → sent to operator →
delivered, or undelivered for numbers told to fail), using Kavenegar's status codes
(kavenegar/kavenegar-dotnet:Kavenegar/Models/Enums/MessageStatus.cs). Faults queued with
:meth:`ProviderState.take_fault` apply to the
next requests of either front end.
"""

from __future__ import annotations

import itertools
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

QUEUED, SENT_TO_OPERATOR, DELIVERED, UNDELIVERED, UNKNOWN = 1, 4, 10, 11, 100
STATUS_TEXTS = {
    QUEUED: "در صف ارسال",
    SENT_TO_OPERATOR: "ارسال به مخابرات",
    DELIVERED: "رسیده به گیرنده",
    UNDELIVERED: "نرسیده به گیرنده",
    UNKNOWN: "شناسه پیامک نامعتبر است",
}
FINAL_STATUSES = frozenset({DELIVERED, UNDELIVERED})
#: Rial per message part, as Kavenegar's sample replies show.
COST_PER_PART = 120
_RECEPTOR = re.compile(r"\+?\d{8,15}")


class ProviderRefusal(Exception):
    """A request the provider answers with one of its ``return.status`` codes."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class Message:
    """One recipient's copy of a sent message."""

    messageid: int
    receptor: str
    message: str
    sender: str
    localid: str | None
    cost: int
    sent_at: float
    date: int
    forced_status: int | None = None
    reported_status: int | None = None

    def public(self) -> dict[str, object]:
        return {
            "messageid": self.messageid,
            "receptor": self.receptor,
            "message": self.message,
            "sender": self.sender,
            "localid": self.localid,
        }


@dataclass
class Inbound:
    """A text a customer sent to one of our lines."""

    messageid: int
    sender: str
    receptor: str
    message: str
    date: int
    is_read: bool = False


@dataclass
class Fault:
    """What the next request gets instead of an answer: an HTTP status, a timeout or a provider code."""

    http_status: int | None = None
    timeout: bool = False
    code: int | None = None


def parts_of(text: str) -> int:
    """SMS parts a text needs: GSM-7 160/153 characters, otherwise UCS-2 70/67 UTF-16 units."""
    if all(ord(c) < 128 for c in text):
        size, single, multi = len(text), 160, 153
    else:
        size, single, multi = len(text.encode("utf-16-be")) // 2, 70, 67
    return 1 if size <= single else -(-size // multi)


def is_valid_receptor(number: str) -> bool:
    return bool(_RECEPTOR.fullmatch(number))


@dataclass
class ProviderState:
    """The shared state of one fake provider account. Every public method takes the lock."""

    api_key: str
    credit: int = 1_500_000
    sent_after_s: float = 0.5
    delivered_after_s: float = 2.0
    clock: Callable[[], float] = time.monotonic
    wall_clock: Callable[[], float] = time.time
    failing_receptors: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(100_000_001))
    _messages: dict[int, Message] = field(default_factory=dict)
    _by_localid: dict[str, Message] = field(default_factory=dict)
    _inbound: list[Inbound] = field(default_factory=list)
    _faults: deque[Fault] = field(default_factory=deque)

    # -- faults -----------------------------------------------------------------------------

    def add_faults(self, count: int, fault: Fault) -> None:
        with self._lock:
            self._faults.extend([fault] * count)

    def take_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    # -- sending ----------------------------------------------------------------------------

    def send(self, items: Iterable[tuple[str, str, str, str | None]]) -> list[Message]:
        """Accept ``(receptor, message, sender, localid)`` items as one request; all or nothing.

        A localid seen before returns the message it named without sending again (Kavenegar:
        a repeated localid is not re-sent).
        """
        items = list(items)
        with self._lock:
            fresh = [item for item in items if item[3] is None or item[3] not in self._by_localid]
            cost = sum(parts_of(message) * COST_PER_PART for _, message, _, _ in fresh)
            if cost > self.credit:
                raise ProviderRefusal(418)
            self.credit -= cost
            now, stamp = self.clock(), int(self.wall_clock())
            results = []
            for receptor, message, sender, localid in items:
                if localid is not None and localid in self._by_localid:
                    results.append(self._by_localid[localid])
                    continue
                sent = Message(
                    next(self._ids), receptor, message, sender, localid, parts_of(message) * COST_PER_PART, now, stamp
                )
                self._messages[sent.messageid] = sent
                if localid is not None:
                    self._by_localid[localid] = sent
                results.append(sent)
            return results

    def status_of(self, message: Message) -> int:
        """The message's delivery status now (call with the lock held or on a snapshot)."""
        if message.forced_status is not None:
            return message.forced_status
        age = self.clock() - message.sent_at
        if age < self.sent_after_s:
            return QUEUED
        if age < self.delivered_after_s:
            return SENT_TO_OPERATOR
        return UNDELIVERED if message.receptor in self.failing_receptors else DELIVERED

    def statuses(self, message_ids: Iterable[int]) -> list[tuple[int, Message | None, int]]:
        with self._lock:
            found = [(i, self._messages.get(i)) for i in message_ids]
            return [(i, m, self.status_of(m) if m else UNKNOWN) for i, m in found]

    def statuses_by_localid(self, localids: Iterable[str]) -> list[tuple[str, Message | None, int]]:
        with self._lock:
            found = [(i, self._by_localid.get(i)) for i in localids]
            return [(i, m, self.status_of(m) if m else UNKNOWN) for i, m in found]

    def deliver_all(self) -> None:
        """Every message reaches its final status now (undelivered for failing receptors)."""
        with self._lock:
            for message in self._messages.values():
                if message.forced_status is None:
                    failing = message.receptor in self.failing_receptors
                    message.forced_status = UNDELIVERED if failing else DELIVERED

    def newly_final(self) -> list[tuple[Message, int]]:
        """Messages whose final status has not been pushed yet; marks them pushed."""
        with self._lock:
            changed = []
            for message in self._messages.values():
                status = self.status_of(message)
                if status in FINAL_STATUSES and message.reported_status != status:
                    message.reported_status = status
                    changed.append((message, status))
            return changed

    # -- inbound ----------------------------------------------------------------------------

    def add_inbound(self, sender: str, receptor: str, message: str) -> Inbound:
        with self._lock:
            inbound = Inbound(next(self._ids), sender, receptor, message, int(self.wall_clock()))
            self._inbound.append(inbound)
            return inbound

    def receive(self, line: str, *, mark_read: bool, limit: int = 100) -> list[Inbound]:
        """Unread texts to ``line``, oldest first, at most ``limit``; ``mark_read`` makes them read."""
        with self._lock:
            unread = [m for m in self._inbound if m.receptor == line and not m.is_read][:limit]
            if mark_read:
                for inbound in unread:
                    inbound.is_read = True
            return unread

    # -- inspection -------------------------------------------------------------------------

    def sent(self) -> list[dict[str, object]]:
        with self._lock:
            return [m.public() for m in self._messages.values()]

    def sent_count(self, receptor: str) -> int:
        with self._lock:
            return sum(1 for m in self._messages.values() if m.receptor == receptor)

    def set_credit(self, rial: int) -> None:
        with self._lock:
            self.credit = rial

    def remaining_credit(self) -> int:
        with self._lock:
            return self.credit
