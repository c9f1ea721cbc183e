"""Local holds on ``/healthz`` and ``/metrics``: things received and kept on disk but not yet in the CRM.

The daemon's inbound SMS hold (``sms-inbound-hold.db``, :class:`bridge.sms.hold.LocalHold`) keeps the
texts a provider handed over while Dataverse was down. They are safe, but nobody in the CRM sees them
until they are stored, so the health endpoint counts them, gives the oldest one's age and says
``degraded`` once one has waited longer than the hold's threshold (``[sms] hold_late_after_s``).
Texts the services refused for good (their account gone) stay in the file for a person and are
counted apart. A plug-in registers its hold with :func:`watch_hold`; the daemon's snapshot reads
every registered hold with :func:`hold_health`, off the event loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from bridge.runtime.metrics import Metric

#: A held text older than this (seconds) makes the bridge "degraded", as a late outbox write does.
DEFAULT_HOLD_LATE_AFTER_S = 300.0


class Figures(Protocol):
    """What a hold reports (:class:`bridge.sms.hold.HoldFigures`)."""

    waiting: int
    oldest_age_s: float
    refused: int


@dataclass(frozen=True)
class HoldHealth:
    """One hold as ``/healthz`` shows it."""

    name: str
    held: int
    oldest_age_s: float
    refused: int = 0
    late_after_s: float = DEFAULT_HOLD_LATE_AFTER_S

    def reasons(self) -> list[str]:
        """Why this hold degrades the bridge, in words for a person; empty when it does not."""
        found = []
        if self.held and self.oldest_age_s >= self.late_after_s:
            found.append(
                f"{self.name}: {self.held} received item(s) held, not yet in the CRM, "
                f"the oldest for {self.oldest_age_s:.0f} s"
            )
        if self.refused:
            found.append(f"{self.name}: {self.refused} held item(s) refused by the CRM, waiting for a person")
        return found


@dataclass(frozen=True)
class _Watched:
    name: str
    figures: Callable[[], Figures]
    late_after_s: float


_HOLDS: weakref.WeakKeyDictionary[Any, list[_Watched]] = weakref.WeakKeyDictionary()


def watch_hold(bridge: Any, name: str, figures: Callable[[], Figures], *, late_after_s: float) -> None:
    """Count the hold ``name`` of ``bridge`` on its health endpoint; ``figures`` may block (it runs in a thread)."""
    _HOLDS.setdefault(bridge, []).append(_Watched(name, figures, late_after_s))


async def hold_health(bridge: Any) -> tuple[HoldHealth, ...]:
    """Every hold registered for ``bridge``, read now."""
    found = []
    for watched in _HOLDS.get(bridge, ()):
        seen = await asyncio.to_thread(watched.figures)
        found.append(HoldHealth(watched.name, seen.waiting, seen.oldest_age_s, seen.refused, watched.late_after_s))
    return tuple(found)


def hold_metrics(holds: Sequence[HoldHealth]) -> list[Metric]:
    """The Prometheus metrics of ``holds`` (present, without samples, when there are none)."""
    held = Metric("commsuite_bridge_hold_depth", "gauge", "Received items held locally, not yet in the CRM.")
    oldest = Metric(
        "commsuite_bridge_hold_oldest_age_seconds", "gauge", "Age of the oldest held item (0 when none is held)."
    )
    refused = Metric("commsuite_bridge_hold_refused", "gauge", "Held items the CRM refused, waiting for a person.")
    for hold in holds:
        held.add(hold.held, hold=hold.name)
        oldest.add(round(hold.oldest_age_s, 3), hold=hold.name)
        refused.add(hold.refused, hold=hold.name)
    return [held, oldest, refused]
