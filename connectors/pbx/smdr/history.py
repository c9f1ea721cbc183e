"""The SMDR records a PBX printed lately, in order: numbers repeats, spots a re-sent buffer (issue 11).

Two calls can print the very same record: the same extension redialling the
same number twice within a minute gives two identical lines. They are two
calls, so a record is never dropped for its text alone; its *occurrence*
(the how-many-th identical record this is) goes into the call id instead.

What the link itself repeats is different: after a reconnect (or a bridge
restart) a PBX may print its buffer again. :meth:`RecordHistory.link_restarted`
opens a window in which records that repeat, in order, a run of the history
are taken as re-sent; the first record that does not continue such a run
closes it. A record right after a reconnect that happens to repeat the
history's records in order cannot be told from a re-send, and is dropped.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Iterable

DEFAULT_MEMORY = 1000
_WHOLE_HISTORY = frozenset({-1})  # candidates marker: any position may start the re-sent run


class RecordHistory:
    """The last ``memory`` record fingerprints, and the re-send window after a reconnect."""

    def __init__(self, memory: int = DEFAULT_MEMORY, seen: Iterable[str] = ()):
        if memory < 1:
            raise ValueError("memory must be at least 1")
        self._seen: deque[str] = deque(maxlen=memory)
        self._counts: Counter[str] = Counter()
        self._resend: frozenset[int] | None = None
        for fingerprint in seen:
            self.add(fingerprint)

    @property
    def fingerprints(self) -> list[str]:
        return list(self._seen)

    def link_restarted(self) -> None:
        """The link (or the bridge) started again: what comes next may be the PBX's buffer re-sent."""
        self._resend = _WHOLE_HISTORY if self._seen else None

    def is_resent(self, fingerprint: str) -> bool:
        """Whether ``fingerprint`` continues a re-sent run of the history (then it is not added)."""
        if self._resend is None:
            return False
        if self._resend is _WHOLE_HISTORY:
            matches = {i for i, seen in enumerate(self._seen) if seen == fingerprint}
        else:
            matches = {i for i in self._resend if i < len(self._seen) and self._seen[i] == fingerprint}
        self._resend = frozenset(i + 1 for i in matches) or None
        return bool(matches)

    def add(self, fingerprint: str) -> int:
        """Record a new (not re-sent) record; returns how many identical ones the history already holds."""
        self._resend = None
        occurrence = self._counts[fingerprint]
        if len(self._seen) == self._seen.maxlen:
            evicted = self._seen[0]
            self._counts[evicted] -= 1
            if not self._counts[evicted]:
                del self._counts[evicted]
        self._seen.append(fingerprint)
        self._counts[fingerprint] += 1
        return occurrence
