"""Writing one record: create (reading its id back), update by etag or not, the three upsert modes, delete.

The :class:`~connectors.dataverse.client.DataverseClient` methods of the same
names delegate here and carry the full contracts. Each write is one request
through the client (two for a create with its representation before 8.2), so
retries, impersonation and request counts are the client's.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from connectors.dataverse import odata
from connectors.dataverse.errors import BadResponseError, DuplicateKeyError, NotFoundError, PreconditionFailedError
from connectors.dataverse.headers import checked_etag
from connectors.dataverse.refs import RecordRef, UpsertMode, entity_id_from_url
from connectors.dataverse.replies import json_object

if TYPE_CHECKING:
    from connectors.dataverse.client import DataverseClient

_UPSERT_HEADERS = {
    UpsertMode.CREATE_ONLY: {"If-None-Match": "*"},
    UpsertMode.UPDATE_ONLY: {"If-Match": "*"},
    UpsertMode.UPSERT: {},
}


def create(
    client: DataverseClient,
    entity_set: str,
    body: Mapping[str, Any],
    *,
    return_representation: bool,
    idempotent: bool,
) -> str | dict[str, Any]:
    """POST a new record; its GUID, or the created record when ``return_representation``."""
    if return_representation and not client.features.return_representation:
        # Before 8.2 the server ignores the preference: create, then read the record back.
        return client.retrieve(entity_set, client.create(entity_set, body, idempotent=idempotent))
    headers = {"Prefer": "return=representation"} if return_representation else {}
    response = client.request(
        "POST",
        odata.identifier(entity_set, "entity set name"),
        json=dict(body),
        headers=headers,
        idempotent=idempotent,
        operation="create",
    )
    if return_representation:
        return json_object(response, "create")
    entity_id = entity_id_from_url(response.headers.get("OData-EntityId")) or entity_id_from_url(
        response.headers.get("Location")
    )
    if entity_id is None:
        raise BadResponseError(
            "create reply names no record (no OData-EntityId or Location)",
            raw=str(dict(response.headers)),
            operation="create",
        )
    return entity_id


def update(
    client: DataverseClient, entity_set: str, ref: RecordRef | str, body: Mapping[str, Any], *, if_match: str | None
) -> None:
    """PATCH an existing record, with ``If-Match: *`` or the etag ``if_match``."""
    if if_match is None:
        client.upsert(entity_set, ref, body, mode=UpsertMode.UPDATE_ONLY)
        return
    client.request(
        "PATCH",
        client.record_path(entity_set, ref),
        json=dict(body),
        headers={"If-Match": checked_etag(if_match)},
        idempotent=if_match.strip() == "*",
        operation="update",
    )


def upsert(
    client: DataverseClient, entity_set: str, ref: RecordRef | str, body: Mapping[str, Any], mode: UpsertMode
) -> None:
    """PATCH by key in ``mode``; a create-only PATCH that finds the record is a ``DuplicateKeyError``."""
    operation = "update" if mode is UpsertMode.UPDATE_ONLY else "upsert"
    try:
        client.request(
            "PATCH",
            client.record_path(entity_set, ref),
            json=dict(body),
            headers=_UPSERT_HEADERS[mode],
            idempotent=True,
            operation=operation,
        )
    except PreconditionFailedError as exc:
        if mode is not UpsertMode.CREATE_ONLY:
            raise
        raise DuplicateKeyError(exc.message, status=exc.status, code=exc.code, operation=operation) from exc


def delete(client: DataverseClient, entity_set: str, ref: RecordRef | str, *, missing_ok: bool) -> None:
    """DELETE a record; one already gone is not an error with ``missing_ok``."""
    try:
        client.request("DELETE", client.record_path(entity_set, ref), operation="delete")
    except NotFoundError:
        if not missing_ok:
            raise
