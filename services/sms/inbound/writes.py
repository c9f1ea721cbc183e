"""The Dataverse writes one inbound text makes, in change-set order (SMS-02, -16, -24)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Write:
    """One PATCH of the change set: entity set, key segment, body."""

    entity_set: str
    key: str
    body: Mapping[str, Any]


@dataclass
class PlannedWrites:
    """The writes for one message and the notes (plain words) written on its activity.

    ``before`` holds records the activity points at (a lead it is regarding),
    written ahead of it; ``regarding`` (table, entity set, id) overrides the
    matched record as the activity's *Regarding*. ``starts_flow``: the
    activity owes its rule's flow (*Flow Due On* is set; SMS-16).
    """

    activity_id: str
    writes: list[Write] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    before: list[Write] = field(default_factory=list)
    regarding: tuple[str, str, str] | None = None
    starts_flow: bool = False
