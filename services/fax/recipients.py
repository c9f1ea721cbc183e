"""A fax's To recipients, read for their name (FAX-13) and for the number to dial when the fax has none (FAX-01).

A fax made on the form gets its Fax Number from the person picked; one made by a flow, a
classic workflow or the Web API often names only its To party (the bulk-fax flow does, one
fax per list member). The sender then dials the recipient's own Fax column (contact,
account or lead), unless the recipient's *Do not allow Faxes* is set.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.dataverse import odata
from dataverse_schema import navigation
from dataverse_schema.names import Account, ActivityParty, Contact, Lead
from dataverse_schema.telephony import PARTY_TO_RECIPIENT
from services.fax.directory import QueryClient

#: The recipient tables and their name columns. The Web API returns no ``partyidname`` for a party
#: written by binding ``partyid_<table>``, so the name is read from the record itself.
_NAME_COLUMNS = {
    Contact.TABLE: Contact.PRIMARY_NAME,
    Account.TABLE: Account.PRIMARY_NAME,
    Lead.TABLE: Lead.PRIMARY_NAME,
}
#: ``fax`` and ``donotfax`` are named alike on the three tables.
_FAX, _DO_NOT_FAX = Contact.FAX, Contact.DONOTFAX


@dataclass(frozen=True)
class ToRecipient:
    """One To party: its record's name, fax number and *Do not allow Faxes*, or the address it used."""

    name: str
    fax: str
    no_faxes: bool
    address: str


@dataclass(frozen=True)
class RecipientNumber:
    """The number the recipient is faxed at (``""`` when none), and why not when it must not be faxed."""

    number: str
    recipient: str = ""
    refused: bool = False


def to_recipients(client: QueryClient, fax_id: str) -> Iterator[ToRecipient]:
    """The fax's To parties, each with its record's name, fax number and opt-out."""
    columns = f"{_FAX},{_DO_NOT_FAX}"
    parties = client.query(
        ActivityParty.SET,
        select=(ActivityParty.PARTYIDNAME, ActivityParty.ADDRESSUSED),
        filter=odata.and_(
            odata.eq(ActivityParty.ACTIVITYID_VALUE, uuid.UUID(fax_id)),
            odata.eq(ActivityParty.PARTICIPATIONTYPEMASK, PARTY_TO_RECIPIENT),
        ),
        expand=[f"{navigation.party(t)}($select={c},{columns})" for t, c in _NAME_COLUMNS.items()],
    )
    for party in parties:
        table, record = _party_record(party)
        name = record.get(_NAME_COLUMNS[table]) if table else None
        yield ToRecipient(
            name=str(name or party.get(ActivityParty.PARTYIDNAME) or ""),
            fax=str(record.get(_FAX) or "").strip(),
            no_faxes=bool(record.get(_DO_NOT_FAX)),
            address=str(party.get(ActivityParty.ADDRESSUSED) or "").strip(),
        )


def _party_record(party: Mapping[str, Any]) -> tuple[str, Mapping[str, Any]]:
    """The table and the expanded record the party points at; ``("", {})`` for a user or an unresolved address."""
    for table in _NAME_COLUMNS:
        record = party.get(navigation.party(table))
        if record:
            return table, record
    return "", {}


def recipient_name(client: QueryClient, fax_id: str, fax_number: str) -> str:
    """The first To party's name (or the address it used), else the fax number."""
    for recipient in to_recipients(client, fax_id):
        if recipient.name or recipient.address:
            return recipient.name or recipient.address
    return fax_number.strip() or "an unknown recipient"


def recipient_number(client: QueryClient, fax_id: str) -> RecipientNumber:
    """The first To recipient's fax number; a recipient who allows no faxes is refused, never dialled."""
    for recipient in to_recipients(client, fax_id):
        if recipient.fax and recipient.no_faxes:
            return RecipientNumber("", recipient.name or recipient.fax, refused=True)
        if recipient.fax:
            return RecipientNumber(recipient.fax, recipient.name)
    return RecipientNumber("")
