"""Share a logged call with the matched record's responsible persons (CALL-41).

Dataverse decides who reads a phone call: its owner (the extension's user), whoever a security role lets
read activities at a wider depth, and whoever the row is *shared* with. Visibility by responsible persons is
the last: after a call is written, the persons named by the configured lookup columns of the matched record
(a contact's sales owner and support owner, an account's owner, custom ``systemuser`` lookups) get
``ReadAccess`` on the phone call through ``GrantAccess``. With the *CommSuite Received Calls Viewer* role
(user-depth activity read, ``solution/roles.py``) they then see exactly their own calls plus the ones shared
with them, in every view, the mobile app and Power Automate, because Dynamics enforces it; a console rule
alone would not.

The lookup columns are settings (:class:`ResponsibleColumns`, per matched table), not fixed names: every
organisation keeps its responsible persons in its own columns. One read of the matched record (only those
columns) and one ``GrantAccess`` per person who is not the call's owner; granting again is harmless, so a
replay never doubles anything.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from connectors.dataverse import DataverseClient
from dataverse_schema import names

log = logging.getLogger(__name__)

_COLUMN = re.compile(r"[a-z][a-z0-9_]{0,99}")
_TYPE = "Microsoft.Dynamics.CRM."
READ_ACCESS = "ReadAccess"


@dataclass(frozen=True)
class ResponsibleColumns:
    """Per matched table (logical name → its entity set and lookup columns to ``systemuser``).

    ``columns`` maps a table's logical name to ``(entity set, (lookup column, ...))``, for example
    ``{"contact": ("contacts", ("ownerid", "comms_supportownerid"))}``. ``ValueError`` for a column that is
    not a logical name (they go into a query).
    """

    columns: Mapping[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for table, (entity_set, lookups) in self.columns.items():
            for name in (table, entity_set, *lookups):
                if not _COLUMN.fullmatch(name):
                    raise ValueError(f"{name!r} is not a Dataverse logical name")

    def of(self, table: str) -> tuple[str, tuple[str, ...]] | None:
        return self.columns.get(table)


def parse_columns(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The telephony system's *Responsible-Person Columns* setting → ``((table, (column, ...)), ...)``.

    The setting is ``table: column, column; table: column`` (lines may stand for ``;``), e.g.
    ``contact: ownerid, comms_supportownerid; account: ownerid``. ``ValueError`` names the first part that is
    not ``table: columns`` of logical names, or a table given twice.
    """
    found: dict[str, tuple[str, ...]] = {}
    for part in re.split(r"[;\n]", text):
        if not part.strip():
            continue
        table, colon, rest = part.partition(":")
        table = table.strip().lower()
        columns = tuple(dict.fromkeys(c.strip().lower() for c in rest.split(",") if c.strip()))
        if not colon or not _COLUMN.fullmatch(table) or not columns or table in found:
            raise ValueError(f"{part.strip()!r} is not 'table: column, column' (or names a table twice)")
        bad = [c for c in columns if not _COLUMN.fullmatch(c)]
        if bad:
            raise ValueError(f"{bad[0]!r} is not a Dataverse logical name")
        found[table] = columns
    return tuple(found.items())


def columns_for(setting: Iterable[tuple[str, tuple[str, ...]]], entity_sets: Mapping[str, str]) -> ResponsibleColumns:
    """:class:`ResponsibleColumns` of a parsed setting, each table with its entity set; tables whose entity
    set is unknown (not in the number index) are left out."""
    return ResponsibleColumns({t: (entity_sets[t], cols) for t, cols in setting if t in entity_sets})


def responsible_users(client: DataverseClient, table: str, record_id: str, settings: ResponsibleColumns) -> set[str]:
    """The ``systemuser`` ids the record's configured lookup columns name (empty when none are configured).

    One GET selecting only those columns. Connector errors propagate (the outbox retries).
    """
    found = settings.of(table)
    if found is None:
        return set()
    entity_set, lookups = found
    values = [f"_{column}_value" for column in lookups]
    record = client.retrieve(entity_set, record_id, select=values)
    return {str(record[value]).lower() for value in values if record.get(value)}


def share_call(
    client: DataverseClient,
    phone_call_id: str,
    users: Iterable[str],
    *,
    owner_id: str | None = None,
) -> list[str]:
    """Grant ``ReadAccess`` on the phone call to each of ``users`` but its owner; returns whom it was shared with.

    ``GrantAccess`` adds rights to an existing share, so a retry or replay is safe.
    """
    shared = []
    for user in sorted({u.lower() for u in users} - {(owner_id or "").lower()}):
        client.request(
            "POST",
            "GrantAccess",
            json={
                "Target": {"@odata.type": f"{_TYPE}{names.PhoneCall.TABLE}", names.PhoneCall.ID: phone_call_id},
                "PrincipalAccess": {
                    "Principal": {"@odata.type": f"{_TYPE}{names.SystemUser.TABLE}", names.SystemUser.ID: user},
                    "AccessMask": READ_ACCESS,
                },
            },
            idempotent=True,
            operation="share call",
        )
        shared.append(user)
    if shared:
        log.info("call shared with %d responsible users", len(shared), extra={"phone_call": phone_call_id})
    return shared


def share_with_responsible(
    client: DataverseClient,
    phone_call_id: str,
    table: str,
    record_id: str,
    settings: ResponsibleColumns,
    *,
    owner_id: str | None = None,
) -> list[str]:
    """Share the call with the responsible persons of its matched record ``table`` / ``record_id``."""
    return share_call(client, phone_call_id, responsible_users(client, table, record_id, settings), owner_id=owner_id)
