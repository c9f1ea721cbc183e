"""The Dataverse Web API client every part of CommSuite uses.

X-03: service protection obeyed, nothing lost; X-04: no secrets logged. One object
on an injected ``requests.Session``: default OData headers, ``Prefer`` composition,
CRUD and upsert by primary or alternate key, paged queries that follow
``@odata.nextLink`` verbatim, change tracking, ``$batch`` and the bulk messages.
The method groups live in focused modules the client delegates to: writes of one
record in :mod:`connectors.dataverse.records`, reads of many records in
:mod:`connectors.dataverse.queries`, ``$batch`` in
:mod:`connectors.dataverse.batch_send`, the bulk messages in
:mod:`connectors.dataverse.bulk`. Network, retries and error translation live in
:mod:`connectors.dataverse.transport`; see ``docs/dataverse-client.md``.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Literal, overload

import requests

from connectors.dataverse import batch_send, bulk, jsonbody, odata, queries, records
from connectors.dataverse.addresses import checked_base_url, same_origin
from connectors.dataverse.auth import BearerAuth, TokenProvider
from connectors.dataverse.batch import Batch, BatchResult
from connectors.dataverse.bulk_parallel import BulkTuning
from connectors.dataverse.delta import DeltaPage
from connectors.dataverse.discovery import ServerInfo
from connectors.dataverse.errors import (
    BadResponseError,
    NotSupportedError,
    RequestNotBuiltError,
)
from connectors.dataverse.headers import DEFAULT_HEADERS, JSON_CONTENT_TYPE
from connectors.dataverse.optional_columns import OptionalColumns
from connectors.dataverse.queries import MAX_PAGE_SIZE
from connectors.dataverse.refs import AlternateKey, RecordId, RecordRef, UpsertMode, entity_path
from connectors.dataverse.replies import json_object
from connectors.dataverse.retry import RequestStats, RetryPolicy
from connectors.dataverse.transport import Transport
from dataverse_schema.versions import Features

log = logging.getLogger(__name__)

_DEFAULT_RETRY = RetryPolicy()


class DataverseClient:
    """A Dataverse Web API client.

    ``base_url`` is the environment URL (``https://org.crm4.dynamics.com``; plain
    ``http`` only for a loopback emulator). ``timeout`` is ``(connect_s, read_s)``.
    ``retry=None`` turns retries off. ``bulk_chunk_size`` caps the records of one bulk request
    and ``bulk_tuning`` says how bulk writes are spread (``bulk_parallel``). Sign-in is a bearer
    ``token_provider`` or any ``requests`` ``auth`` (NTLM on-premises). ``api_version=None`` reads the root
    from the server; ``online`` says the features are online Dataverse's without
    asking (see :mod:`connectors.dataverse.discovery`). All methods raise
    :class:`~connectors.dataverse.errors.DataverseError` subclasses.
    """

    def __init__(
        self,
        *,
        base_url: str,
        session: requests.Session,
        token_provider: TokenProvider | None = None,
        auth: requests.auth.AuthBase | None = None,
        timeout: tuple[float, float] = (5.0, 60.0),
        retry: RetryPolicy | None = _DEFAULT_RETRY,
        api_version: str | None = "v9.2",
        online: bool | None = None,
        max_batch_operations: int = 1000,
        bulk_chunk_size: int = 1000,
        bulk_tuning: BulkTuning | None = None,
    ):
        self.base_url = checked_base_url(base_url)
        if api_version is not None and not re.fullmatch(r"v\d+\.\d+", api_version):
            raise ValueError(f"api_version looks like 'v9.2', not {api_version!r}")
        if (token_provider is None) == (auth is None):
            raise ValueError("give exactly one of token_provider and auth")
        self._server = ServerInfo(self.base_url, api_version, online=online)
        self.stats = RequestStats()
        if not 1 <= max_batch_operations <= 1000:
            raise ValueError("max_batch_operations must be between 1 and 1000")
        self.max_batch_operations = max_batch_operations
        self.bulk_chunk_size = bulk_chunk_size
        self.bulk_tuning = bulk_tuning or BulkTuning()
        self._transport = Transport(
            session=session,
            auth=auth or BearerAuth(token_provider),
            timeout=timeout,
            retry=retry or RetryPolicy.off(),
            stats=self.stats,
            api_url=self.api_url,
        )
        self._bulk_unsupported: set[tuple[str, str]] = set()
        self._caller: dict[str, str] = {}
        #: The columns of a newer solution this environment lacks (shared with :meth:`as_caller`'s copies).
        self.optional_columns = OptionalColumns()

    def __repr__(self) -> str:
        return f"DataverseClient(api_url={self.api_url!r})"

    @property
    def api_url(self) -> str:
        """The Web API root, ``<base>/api/data/v9.2/`` (on-premises: fixed by the first request)."""
        return self._server.api_url

    @property
    def features(self) -> Features:
        """What the server's version offers (:mod:`dataverse_schema.versions`); may read it once."""
        return self._server.resolve(self._get_version)

    def _get_version(self, url: str) -> requests.Response:
        return self._transport.send(
            "GET",
            url,
            headers={**DEFAULT_HEADERS, **self._caller},
            body=None,
            idempotent=True,
            operation="retrieve_version",
        )

    def as_caller(self, *, systemuser_id: str | None = None, object_id: str | None = None) -> DataverseClient:
        """A client that sends every request on behalf of one user (impersonation).

        Dataverse then applies that user's roles, record access and column
        security (a secured column the user may not read comes back null).
        ``object_id`` is the user's Entra object id (``CallerObjectId``, online);
        ``systemuser_id`` their ``systemuserid`` (``MSCRMCallerID``, online and
        on-premises). The application user needs ``prvActOnBehalfOfAnotherUser``
        (the *Delegate* role). The derived client shares this one's session,
        token, retries and request counts.
        """
        if (systemuser_id is None) == (object_id is None):
            raise ValueError("name the user by exactly one of systemuser_id and object_id")
        header, value = ("MSCRMCallerID", systemuser_id) if systemuser_id else ("CallerObjectId", object_id)
        derived = copy.copy(self)
        derived._caller = {header: str(RecordId(str(value)).value)}
        return derived

    # -- low level ---------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        content: bytes | None = None,
        operation: str | None = None,
    ) -> requests.Response:
        """Send one request; ``path`` is relative to :attr:`api_url` (or an absolute link
        on the same host). Returns the 2xx response; raises the typed errors otherwise.
        ``idempotent`` defaults to True for every method but POST."""
        method = method.upper()
        body = content
        merged = {**DEFAULT_HEADERS, **self._caller}
        if json is not None:
            body = _utf8(jsonbody.dumps(json), operation or method.lower())
            merged["Content-Type"] = JSON_CONTENT_TYPE
        merged.update(headers or {})
        if idempotent is None:
            idempotent = method != "POST"
        if not self._server.is_settled:
            self.features  # noqa: B018 - the root is read from the server before the first request
        self._transport.api_url = self.api_url
        return self._transport.send(
            method,
            self._url(path, params),
            headers=merged,
            body=body,
            idempotent=idempotent,
            operation=operation or method.lower(),
            multipart_ok=merged.get("Content-Type", "").startswith("multipart/"),
        )

    def _url(self, path: str, params: Mapping[str, str] | None) -> str:
        if path.startswith(("http://", "https://")):
            if not same_origin(path, self.base_url):
                raise BadResponseError("refusing to follow a link to another host", raw=path)
            url = path
        else:
            url = self.api_url + path.lstrip("/")
        if params:
            url += ("&" if "?" in url else "?") + odata.encode_query(params)
        return url

    def record_path(self, entity_set: str, ref: RecordRef | str) -> str:
        """The record's path (``entity_path``), refusing a key value the server cannot address
        (``< > * % & : \\`` on-premises) with ``NotSupportedError``."""
        if isinstance(ref, AlternateKey) and not self._server.is_online_known:
            bad = "".join(self.features.unsafe_in_key(str(value)) for value in ref.columns.values())
            if bad:
                raise NotSupportedError(
                    f"an alternate-key value with {bad!r} cannot address a record on Dynamics {self.features.version}",
                    operation="key",
                )
        return entity_path(entity_set, ref)

    def _json(self, response: requests.Response, operation: str) -> dict[str, Any]:
        return json_object(response, operation)

    # -- records -----------------------------------------------------------------------------

    @overload
    def create(
        self,
        entity_set: str,
        body: Mapping[str, Any],
        *,
        return_representation: Literal[False] = False,
        idempotent: bool = False,
    ) -> str: ...

    @overload
    def create(
        self,
        entity_set: str,
        body: Mapping[str, Any],
        *,
        return_representation: Literal[True],
        idempotent: bool = False,
    ) -> dict[str, Any]: ...

    def create(
        self, entity_set: str, body: Mapping[str, Any], *, return_representation: bool = False, idempotent: bool = False
    ) -> str | dict[str, Any]:
        """POST a new record; returns its GUID (from ``OData-EntityId``, else ``Location``),
        or the created record when ``return_representation``.

        A create is not resent after a lost reply unless ``idempotent=True``, which
        the caller may pass when ``body`` sets the primary key (e.g. a
        :func:`~connectors.dataverse.refs.deterministic_id`): a resend can then only
        end in ``DuplicateKeyError``.
        """
        return records.create(
            self, entity_set, body, return_representation=return_representation, idempotent=idempotent
        )

    def retrieve(
        self,
        entity_set: str,
        ref: RecordRef | str,
        select: Sequence[str] | None = None,
        expand: Sequence[str] | None = None,
    ) -> dict[str, Any]:
        """GET one record by primary or alternate key. ``NotFoundError`` when it is missing."""
        params = queries.options(select=select, expand=expand)
        response = self.request("GET", self.record_path(entity_set, ref), params=params, operation="retrieve")
        return self._json(response, "retrieve")

    def update(
        self, entity_set: str, ref: RecordRef | str, body: Mapping[str, Any], *, if_match: str | None = None
    ) -> None:
        """PATCH an existing record; ``NotFoundError`` if it is missing.

        Without ``if_match`` the PATCH carries ``If-Match: *`` (update, never
        create). With an etag (``W/"470867"``, as read from ``@odata.etag``) it
        is an optimistic-concurrency update: when the record changed since it
        was read Dataverse answers 412 and this raises ``PreconditionFailedError``
        (reference §1.5). Such a PATCH is not resent after a lost reply, since a
        resend of an update that did apply would itself fail with 412 and read
        as someone else's change; the caller gets ``ResponseLostError`` and
        reconciles by reading the record back.
        """
        records.update(self, entity_set, ref, body, if_match=if_match)

    def upsert(
        self, entity_set: str, ref: RecordRef | str, body: Mapping[str, Any], mode: UpsertMode = UpsertMode.UPSERT
    ) -> None:
        """PATCH by key: create or update (``UPSERT``), create only (``CREATE_ONLY``:
        ``DuplicateKeyError`` if it exists) or update only (``UPDATE_ONLY``)."""
        records.upsert(self, entity_set, ref, body, mode)

    def delete(self, entity_set: str, ref: RecordRef | str, *, missing_ok: bool = False) -> None:
        """DELETE a record. With ``missing_ok`` a record already gone is not an error
        (useful because a resent DELETE can find its own earlier success)."""
        records.delete(self, entity_set, ref, missing_ok=missing_ok)

    # -- queries -----------------------------------------------------------------------------

    def query(
        self,
        entity_set: str,
        *,
        select: Sequence[str] | None = None,
        filter: str | None = None,
        orderby: Sequence[str] | None = None,
        top: int | None = None,
        expand: Sequence[str] | None = None,
        page_size: int = MAX_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Yield matching records page by page, following ``@odata.nextLink`` verbatim.

        Build ``filter`` with :mod:`connectors.dataverse.odata`. ``top`` limits the
        total (sent as ``$top``, without a page-size preference, which would override it).
        """
        return queries.query(
            self, entity_set, select=select, filter=filter, orderby=orderby, top=top, expand=expand, page_size=page_size
        )

    def fetch_xml(self, entity_set: str, query: str, *, page_size: int | None = None) -> Iterator[dict[str, Any]]:
        """Yield the rows of a FetchXML query on ``entity_set``, page by page with paging cookies.

        ``page_size`` sets the query's ``count`` (None keeps its own, else Dataverse's 5,000).
        A query with ``top`` is sent once. Raises ValueError for FetchXML that is not well-formed.
        """
        return queries.fetch_xml(self, entity_set, query, page_size=page_size)

    def count(self, entity_set: str, filter: str | None = None) -> int:
        """The number of matching records. Dataverse caps ``@odata.count`` at 5,000, so a
        capped count is completed by paging through the rest."""
        return queries.count(self, entity_set, filter)

    def changes(
        self, entity_set: str, *, select: Sequence[str], delta_link: str | None = None, page_size: int = MAX_PAGE_SIZE
    ) -> DeltaPage:
        """Records changed and deleted since ``delta_link`` (everything, on the first call).

        Store the returned ``delta_link`` and pass it next time (CALL-02, CALL-04: the number index stays fresh).
        ``NotSupportedError`` before 8.2, which has no ``odata.track-changes``.
        """
        return queries.changes(self, entity_set, select=select, delta_link=delta_link, page_size=page_size)

    def whoami(self) -> dict[str, Any]:
        """``WhoAmI``: ``UserId``, ``BusinessUnitId``, ``OrganizationId`` (a cheap health probe)."""
        return self._json(self.request("GET", "WhoAmI", operation="whoami"), "whoami")

    # -- batch and bulk ----------------------------------------------------------------------

    def batch(self) -> Batch:
        """A new, empty :class:`Batch` for :meth:`execute`."""
        return Batch()

    def execute(self, batch: Batch, *, continue_on_error: bool = False) -> list[BatchResult]:
        """Send ``batch`` as one or more ``$batch`` requests of at most 1,000 operations.

        Returns one :class:`BatchResult` per reply part, in order. Operation
        failures are results (``.ok``, ``.error()``), not exceptions. Without
        ``continue_on_error`` Dataverse stops at the first failure, the list ends
        with it and later chunks are not sent.
        """
        return batch_send.execute(self, batch, continue_on_error=continue_on_error)

    def upsert_multiple(
        self, entity_set: str, logical_name: str, records: Sequence[tuple[RecordRef, Mapping[str, Any]]]
    ) -> None:
        """Upsert many records with ``UpsertMultiple`` (falls back to ``$batch``); see :mod:`bulk`."""
        bulk.upsert_multiple(self, entity_set, logical_name, records)

    def create_multiple(self, entity_set: str, logical_name: str, records: Sequence[Mapping[str, Any]]) -> list[str]:
        """Create many records with ``CreateMultiple`` (falls back to ``$batch``); returns their ids."""
        return bulk.create_multiple(self, entity_set, logical_name, records)


def _utf8(text: str, operation: str) -> bytes:
    """A body as UTF-8; a lone surrogate (a JSON ``"\\ud800"`` read back from Dataverse decodes to one) cannot
    be encoded, so nothing is sent: ``RequestNotBuiltError`` rather than ``UnicodeEncodeError``."""
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise RequestNotBuiltError(
            f"a value holds a lone surrogate (character {exc.start}), which UTF-8 cannot carry", operation=operation
        ) from None
