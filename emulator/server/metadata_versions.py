"""Version stamps for ``RetrieveMetadataChanges``: which tables changed, and what was deleted, since when.

Each metadata change moves the catalog's version on by one; ``ServerVersionStamp`` is that
version. A ``ClientVersionStamp`` from an earlier answer selects the tables changed since and,
with ``DeletedMetadataFilters``, the ids of what was deleted since
(https://learn.microsoft.com/power-apps/developer/data-platform/org-service/metadata-retrieve-detect-changes).
Stamps live in memory: after a restart an old stamp is refused as expired, as Dataverse refuses
one older than ``ExpireSubscriptionsInDays`` (``ExpiredVersionStamp``, ``0x80044352``, "Version stamp
associated with the client has expired. Please perform a full sync."), and the client reads everything again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from emulator.errors import ODataError

#: Dataverse's error for a ClientVersionStamp it no longer has the changes for.
EXPIRED_VERSION_STAMP = "0x80044352"
#: DeletedMetadataFilters members (Microsoft.Dynamics.CRM.DeletedMetadataFilters).
DELETED_KINDS = ("Entity", "Attribute", "Relationship", "Label", "OptionSet")


@dataclass
class MetadataVersions:
    """The version each table last changed at, and the deletions, since this process started."""

    epoch: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    version: int = 0
    changed: dict[str, int] = field(default_factory=dict)
    deleted: list[tuple[int, str, str]] = field(default_factory=list)

    def touch(self, *logical_names: str) -> None:
        self.version += 1
        for name in logical_names:
            self.changed[name] = self.version

    def forget(self, kind: str, metadata_id: str) -> None:
        self.version += 1
        self.deleted.append((self.version, kind, metadata_id))

    @property
    def stamp(self) -> str:
        return f"{self.version}!{self.epoch}"

    def since(self, stamp: str) -> int:
        """The version a client stamp names; an unknown or foreign stamp is Dataverse's ExpiredVersionStamp."""
        number, _, epoch = stamp.partition("!")
        if epoch != self.epoch or not number.isdigit() or int(number) > self.version:
            raise ODataError(
                400,
                EXPIRED_VERSION_STAMP,
                "Version stamp associated with the client has expired. Please perform a full sync.",
            )
        return int(number)

    def deleted_since(self, version: int, kinds: set[str]) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for at, kind, metadata_id in self.deleted:
            if at > version and kind in kinds:
                found.setdefault(kind, []).append(metadata_id)
        return found
