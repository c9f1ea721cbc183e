"""The caller card behind a pop-up, enriched on demand from Dataverse (CALL-03).

A pop-up shows at once what the local index knows (table, id, owner). When
the user opens it, the browser asks ``/api/card`` and :class:`CardService`
reads the record's name and company, its open cases (``incidents`` with
``statecode`` 0) and its last five activities. Reads run in a worker thread
under a timeout, concurrent asks for one record share one read, results are
cached briefly, and any failure becomes a plain message on the card.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from connectors.dataverse import odata
from connectors.errors import ConnectorError
from dataverse_schema import navigation
from dataverse_schema.names import Account, ActivityPointer, Contact, Incident, Lead, SystemUser

log = logging.getLogger(__name__)

#: A blocking read of one card: (table, record id) → card dict. Runs in a thread.
CardSource = Callable[[str, str], dict[str, Any]]


class CardError(ValueError):
    """The card request itself is wrong (unknown table, malformed id)."""


@dataclass(frozen=True)
class _Table:
    entity_set: str
    name: str
    select: tuple[str, ...]
    expand: tuple[str, ...]
    has_cases: bool


_PARENT_ACCOUNT = navigation.customer(Contact.PARENTCUSTOMERID, Account.TABLE)
_OWNING_USER = "owninguser"  # the owner's navigation property when it is a user (not declared in the model)
_OWNER_EXPAND = f"{_OWNING_USER}($select={SystemUser.FULLNAME})"

TABLES: dict[str, _Table] = {
    Contact.TABLE: _Table(
        Contact.SET,
        Contact.FULLNAME,
        (Contact.FULLNAME, Contact.JOBTITLE, Contact.EMAILADDRESS1, Contact.TELEPHONE1, Contact.MOBILEPHONE),
        (f"{_PARENT_ACCOUNT}($select={Account.NAME})", _OWNER_EXPAND),
        True,
    ),
    Account.TABLE: _Table(
        Account.SET,
        Account.NAME,
        (Account.NAME, Account.TELEPHONE1, Account.EMAILADDRESS1, Account.WEBSITEURL),
        (_OWNER_EXPAND,),
        True,
    ),
    Lead.TABLE: _Table(
        Lead.SET,
        Lead.FULLNAME,
        (Lead.FULLNAME, Lead.COMPANYNAME, Lead.TELEPHONE1, Lead.MOBILEPHONE, Lead.EMAILADDRESS1),
        (_OWNER_EXPAND,),
        False,
    ),
}


class _Reader(Protocol):
    def retrieve(self, entity_set: str, ref: str, select: Any = None, expand: Any = None) -> dict[str, Any]: ...

    def query(self, entity_set: str, **options: Any) -> Any: ...


def dataverse_card_source(client: _Reader) -> CardSource:
    """A :data:`CardSource` over a :class:`~connectors.dataverse.DataverseClient` (three GETs per card)."""

    def read(table: str, record_id: str) -> dict[str, Any]:
        spec = TABLES[table]
        row = client.retrieve(spec.entity_set, record_id, select=list(spec.select), expand=list(spec.expand))
        company = (row.get(_PARENT_ACCOUNT) or {}).get(Account.NAME) or row.get(Lead.COMPANYNAME) or ""
        cases: list[dict[str, Any]] = []
        if spec.has_cases:
            cases = [
                {
                    "title": c.get(Incident.TITLE) or "",
                    "number": c.get(Incident.TICKETNUMBER) or "",
                    "id": c.get(Incident.INCIDENTID),
                }
                for c in client.query(
                    Incident.SET,
                    select=[Incident.TITLE, Incident.TICKETNUMBER, Incident.INCIDENTID],
                    filter=odata.and_(
                        odata.eq(Incident.CUSTOMERID_VALUE, uuid.UUID(record_id)), odata.eq(Incident.STATECODE, 0)
                    ),
                    orderby=[f"{Incident.CREATEDON} desc"],
                    top=20,
                )
            ]
        activities = [
            {
                "subject": a.get(ActivityPointer.SUBJECT) or "",
                "type": a.get(ActivityPointer.ACTIVITYTYPECODE) or "",
                "created_on": a.get(ActivityPointer.CREATEDON),
            }
            for a in client.query(
                ActivityPointer.SET,
                select=[ActivityPointer.SUBJECT, ActivityPointer.ACTIVITYTYPECODE, ActivityPointer.CREATEDON],
                filter=odata.eq(ActivityPointer.REGARDINGOBJECTID_VALUE, uuid.UUID(record_id)),
                orderby=[f"{ActivityPointer.CREATEDON} desc"],
                top=5,
            )
        ]
        return {
            "name": row.get(spec.name) or "",
            "company": company,
            "job_title": row.get(Contact.JOBTITLE) or "",
            "email": row.get(Contact.EMAILADDRESS1) or "",
            "owner": (row.get(_OWNING_USER) or {}).get(SystemUser.FULLNAME) or "",
            "open_cases": cases,
            "activities": activities,
        }

    return read


class CardService:
    """Cached, deduplicated, time-limited card reads for ``/api/card``."""

    def __init__(
        self,
        source: CardSource,
        *,
        ttl_s: float = 30.0,
        timeout_s: float = 10.0,
        max_entries: int = 1000,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ):
        self._source = source
        self._ttl_s = ttl_s
        self._timeout_s = timeout_s
        self._max_entries = max_entries
        self._clock = clock
        self._cache: dict[tuple[str, str], tuple[datetime, dict[str, Any]]] = {}
        self._pending: dict[tuple[str, str], asyncio.Future[dict[str, Any]]] = {}

    async def card(self, table: str, record_id: str) -> dict[str, Any]:
        """The card for one record, or ``{"error": "..."}``; raises :class:`CardError` for a bad request."""
        key = checked_key(table, record_id)
        now = self._clock()
        cached = self._cache.get(key)
        if cached is not None and (now - cached[0]).total_seconds() < self._ttl_s:
            return cached[1]
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._read(key))
            self._pending[key] = pending
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        return await asyncio.shield(pending)

    async def _read(self, key: tuple[str, str]) -> dict[str, Any]:
        try:
            async with asyncio.timeout(self._timeout_s):
                card = await asyncio.to_thread(self._source, *key)
        except TimeoutError:
            return {"error": "Dynamics did not answer in time; try again shortly."}
        except ConnectorError as exc:
            log.warning("card read failed: %s", type(exc).__name__, extra={"table": key[0]})
            return {"error": f"Dynamics refused or failed the read ({type(exc).__name__})."}
        except Exception:
            log.exception("card read failed", extra={"table": key[0]})
            return {"error": "The card could not be read; see the bridge log."}
        if len(self._cache) >= self._max_entries:
            self._cache.pop(next(iter(self._cache)))
        self._cache[key] = (self._clock(), card)
        return card


def checked_key(table: str, record_id: str) -> tuple[str, str]:
    """``(table, id)`` when ``table`` is supported and ``id`` is a GUID; else :class:`CardError`."""
    if table not in TABLES:
        raise CardError(f"no card for table {table[:40]!r}")
    try:
        parsed = uuid.UUID(record_id)
    except (ValueError, AttributeError, TypeError):
        raise CardError("id must be a GUID") from None
    return table, str(parsed)
