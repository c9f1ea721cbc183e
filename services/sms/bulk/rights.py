"""A bulk send's texts are made with its owner's rights, as a single SMS's are (issue 12, §2; SMS-08, -12).

The bulk's owner chose its audience, so the member records its texts are filled from are read as that owner
(:meth:`connectors.dataverse.DataverseClient.as_caller`: ``MSCRMCallerID: <owner's systemuserid>``), and
Dataverse applies the owner's roles, record access and column security, as :mod:`services.sms.compose`
does for one SMS:

- a member the owner may not read is not texted and is counted as skipped (only when some member is
  missing from the owner's read are those ids asked for again with the app's rights, to tell a record the
  owner may not read from one deleted since the audience was read, which is left out as before); an
  owner who may not read the members' table at all (Dataverse's 403 PrivilegeDenied) pauses the bulk with
  Dataverse's words, as does an application user without ``prvActOnBehalfOfAnotherUser``;
- the records the members' placeholders lead to (``{contact.parentcustomerid.name}``) are read as the
  owner too (:mod:`services.sms.bulk.related`): one the owner may not read fails the members that lead to
  it, in a single SMS's words; an owner who may not read a related table pauses the bulk;
- a column-secured column the owner may not read comes back null, so its placeholder is missing and that
  member's text fails, as a missing field does;
- a placeholder that reads or follows a column whose metadata says ``IsSecured``, on a member or on a
  related record, pauses the bulk unless its SMS Template has *Allow Secured Columns* (an administrator's
  flag), even when the owner may read the column;
- a column Dataverse refuses to read (400: listed in the metadata, not readable through the Web API) pauses
  the bulk with Dataverse's words rather than failing every run the same way;
- a team-owned bulk is read with the app's rights (only a user allowed to assign records to the team can
  make one); the secured-column rule still applies.

The audience itself (list members, a view's or a query's ids) is still listed with the app's rights.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from connectors.dataverse import DataverseClient, PrivilegeError, ValidationError
from dataverse_schema.names import SystemUser
from domain.sms.bulk import Member
from services.sms.bulk.run_state import StopRun
from services.sms.bulk.store import BulkRecord
from services.sms.bulk.targets import fetch_members

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MemberRead:
    """The members read as the bulk's owner, and how many more exist that the owner may not read."""

    members: list[Member]
    unreadable: int = 0


def owner_client(client: DataverseClient, bulk: BulkRecord) -> DataverseClient:
    """``client`` acting as the bulk's owner when a user owns it, else ``client`` itself (the app's rights)."""
    if bulk.owner is not None and bulk.owner[0] == SystemUser.TABLE:
        return client.as_caller(systemuser_id=bulk.owner[1])
    return client


def read_members(
    client: DataverseClient, bulk: BulkRecord, keys: Sequence[tuple[str, str]], columns: Mapping[str, Collection[str]]
) -> MemberRead:
    """The records behind ``keys`` with ``columns[table]``, read as the bulk's owner; see the module's docstring."""
    reader = owner_client(client, bulk)
    try:
        members = fetch_members(reader, keys, columns)
    except PrivilegeError as exc:
        if reader is client:
            raise
        raise StopRun(f"the bulk's owner may not read its members: {exc.message}", "Paused") from exc
    except ValidationError as exc:  # a template column the metadata lists but the Web API will not read
        raise StopRun(
            f"Dataverse refused to read the members' columns the bulk names: {exc.message}", "Paused"
        ) from exc
    if reader is client or len(members) == len(keys):
        return MemberRead(members)
    found = {member.key for member in members}
    hidden = fetch_members(client, [key for key in keys if key not in found], {})
    if hidden:
        log.info(
            "bulk %s: %d members skipped: the bulk's owner may not read them",
            bulk.bulk_id,
            len(hidden),
            extra={"operation": "bulk_run"},
        )
    return MemberRead(members, len(hidden))
