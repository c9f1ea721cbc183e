"""Keyword services (SMS-07): a customer texts a keyword and the answer is looked up for them.

A service is anything implementing :class:`KeywordService` (the domain's
``KeywordLookup``), registered by name in a :class:`KeywordServiceRegistry`;
a keyword rule names the service and the reply template its fields fill.
The BSS work plugs the AAA usage report in here. The built-in
:class:`RecordColumnService` answers from a column of the sender's own CRM
record (e.g. "balance" → the account's ``comms_debt``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from connectors.dataverse import DataverseClient, NotFoundError
from domain.number_index import RecordRef
from domain.sms.keywords import KeywordLookupError, LookupRequest
from services.sms import tables


class KeywordService(Protocol):
    """Answers one keyword service; fields are keyed by placeholder path (``service.balance``)."""

    def lookup(self, request: LookupRequest, record: RecordRef | None) -> Mapping[str, object]: ...


class KeywordServiceRegistry:
    """Keyword services by name; a rule naming an unknown service gets a plain error."""

    def __init__(self, services: Mapping[str, KeywordService] | None = None):
        self._services = dict(services or {})

    def register(self, name: str, service: KeywordService) -> None:
        if not name or name in self._services:
            raise ValueError(f"keyword service {name!r} is empty or already registered")
        self._services[name] = service

    def lookup(self, request: LookupRequest, record: RecordRef | None) -> Mapping[str, object]:
        service = self._services.get(request.service)
        if service is None:
            raise KeywordLookupError(f"no keyword service is registered as {request.service!r}")
        return service.lookup(request, record)

    def names(self) -> list[str]:
        return sorted(self._services)


class RecordColumnService:
    """Reads ``column`` of the sender's record in one of ``tables`` and returns it as ``service.<name>``."""

    def __init__(self, client: DataverseClient, name: str, column: str, tables: tuple[str, ...] = ("account",)):
        self._client, self._name, self._column, self._tables = client, name, column, tables

    def lookup(self, request: LookupRequest, record: RecordRef | None) -> Mapping[str, object]:
        if record is None or record.table not in self._tables:
            raise KeywordLookupError(f"the sender matches no {' or '.join(self._tables)} record")
        try:
            row = self._client.retrieve(tables.entity_set(record.table), record.record_id, select=[self._column])
        except NotFoundError as exc:
            raise KeywordLookupError("the sender's record no longer exists") from exc
        value = row.get(self._column)
        if value is None:
            raise KeywordLookupError(f"the sender's record has no {self._column}")
        return {f"service.{self._name}": value}
