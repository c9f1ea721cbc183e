"""What every route handler works with: the record store, the metadata catalogue and the fault gate."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emulator.server.catalog import MetadataCatalog
    from emulator.server.faults import FaultInjector
    from emulator.store import Store


@dataclass
class Service:
    store: Store
    catalog: MetadataCatalog
    faults: FaultInjector | None = None
    #: Record shares (GrantAccess, CALL-41): (table, id) -> {(principal table, principal id): rights}.
    shares: dict[tuple[str, str], dict[tuple[str, str], set[str]]] = field(default_factory=dict)
    #: Role privileges added by AddPrivilegesRole: role id -> {privilege name: depth 1..4} (:mod:`.security`).
    role_privileges: dict[str, dict[str, int]] = field(default_factory=dict)
