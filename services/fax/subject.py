"""The subject of a fax sent with none: "Fax from <user> to <recipient>" (FAX-13)."""

from __future__ import annotations

import logging
import uuid
from typing import Any, Protocol

from connectors.dataverse import RecordId, odata
from connectors.errors import ConnectorError
from dataverse_schema import navigation
from dataverse_schema.names import Account, ActivityParty, Contact, Lead, SystemUser
from services.fax import rows
from services.fax.directory import QueryClient

log = logging.getLogger(__name__)
#: ``participationtypemask`` of an activity's To recipient.
TO_RECIPIENT = 2
#: The party's record, expanded for its name: the Web API returns no ``partyidname`` for a party
#: written by binding ``partyid_<table>``, so the name is read from the record itself.
_PARTY_NAMES = {Contact.TABLE: Contact.PRIMARY_NAME, Account.TABLE: Account.PRIMARY_NAME, Lead.TABLE: Lead.PRIMARY_NAME}


class ReadClient(QueryClient, Protocol):
    def retrieve(self, entity_set: str, ref: Any, select: Any = None, expand: Any = None) -> dict[str, Any]: ...


def recipient_of(client: QueryClient, row: rows.FaxRow) -> str:
    """The To party's name (or the address it used), else the fax number."""
    parties = client.query(
        ActivityParty.SET,
        select=(ActivityParty.PARTYIDNAME, ActivityParty.ADDRESSUSED),
        filter=odata.and_(
            odata.eq(ActivityParty.ACTIVITYID_VALUE, uuid.UUID(row.fax_id)),
            odata.eq(ActivityParty.PARTICIPATIONTYPEMASK, TO_RECIPIENT),
        ),
        expand=[f"{navigation.party(t)}($select={c})" for t, c in _PARTY_NAMES.items()],
        top=1,
    )
    for party in parties:
        expanded = (party.get(navigation.party(t)) or {} for t in _PARTY_NAMES)
        names = [record.get(c) for record, c in zip(expanded, _PARTY_NAMES.values(), strict=True)]
        name = (
            next((n for n in names if n), None)
            or party.get(ActivityParty.PARTYIDNAME)
            or party.get(ActivityParty.ADDRESSUSED)
        )
        if name:
            return str(name)
    return row.fax_number.strip() or "an unknown recipient"


def user_name(client: ReadClient, user_id: str) -> str:
    """The owner's full name; "a user" when it cannot be read (a team owns it, or it is gone)."""
    if not user_id:
        return "a user"
    try:
        record = client.retrieve(SystemUser.SET, RecordId(user_id), select=[SystemUser.FULLNAME])
    except ConnectorError as exc:
        log.info("fax subject: the owner %s could not be read (%s)", user_id, exc)
        return "a user"
    return str(record.get(SystemUser.FULLNAME) or "a user")


def subject_for(client: ReadClient, row: rows.FaxRow) -> str:
    """``Fax from Sara Ahmadi to Contoso Ltd``, at most 200 characters."""
    return f"Fax from {user_name(client, row.owner_id)} to {recipient_of(client, row)}"[:200]
