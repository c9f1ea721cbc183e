"""The subject of a fax sent with none: "Fax from <user> to <recipient>" (FAX-13)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from connectors.dataverse import RecordId
from connectors.errors import ConnectorError
from dataverse_schema.names import SystemUser
from services.fax import rows
from services.fax.directory import QueryClient
from services.fax.recipients import recipient_name

log = logging.getLogger(__name__)


class ReadClient(QueryClient, Protocol):
    def retrieve(self, entity_set: str, ref: Any, select: Any = None, expand: Any = None) -> dict[str, Any]: ...


def recipient_of(client: QueryClient, row: rows.FaxRow) -> str:
    """The To party's name (or the address it used), else the fax number."""
    return recipient_name(client, row.fax_id, row.fax_number)


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
