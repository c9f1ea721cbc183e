"""The subject of a fax sent with none: "Fax from <user> to <recipient>" (FAX-13), in the server's
Header Language (X-05; the words are :mod:`domain.fax.phrases`)."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from connectors.dataverse import RecordId
from connectors.errors import ConnectorError
from dataverse_schema.names import SystemUser
from domain.fax.phrases import sent_subject
from services.fax import rows
from services.fax.directory import QueryClient
from services.fax.recipients import recipient_name

log = logging.getLogger(__name__)


class ReadClient(QueryClient, Protocol):
    def retrieve(self, entity_set: str, ref: Any, select: Any = None, expand: Any = None) -> dict[str, Any]: ...


def recipient_of(client: QueryClient, row: rows.FaxRow) -> str:
    """The To party's name (or the address it used), else the fax number."""
    return recipient_name(client, row.fax_id, row.fax_number)


def owner_name(client: ReadClient, user_id: str) -> str:
    """The owner's full name; "" when it cannot be read (a team owns it, or it is gone)."""
    if not user_id:
        return ""
    try:
        record = client.retrieve(SystemUser.SET, RecordId(user_id), select=[SystemUser.FULLNAME])
    except ConnectorError as exc:
        log.info("fax subject: the owner %s could not be read (%s)", user_id, exc)
        return ""
    return str(record.get(SystemUser.FULLNAME) or "")


def subject_for(client: ReadClient, row: rows.FaxRow, *, language: str = "en") -> str:
    """``Fax from Sara Ahmadi to Contoso Ltd`` in the server's language, at most 200 characters."""
    return sent_subject(owner_name(client, row.owner_id), recipient_of(client, row), language=language)
