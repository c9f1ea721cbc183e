"""Bulk writes: ``UpsertMultiple`` / ``CreateMultiple``, with a ``$batch`` fallback.

``POST <set>/Microsoft.Dynamics.CRM.UpsertMultiple`` with ``{"Targets": [...]}``,
every target carrying ``@odata.type``
(MicrosoftDocs/powerapps-docs:powerapps-docs/developer/data-platform/bulk-operations.md). Each bulk
request counts as one request toward the service-protection limit, which is why
the outbox drains backlogs this way (DESIGN principle 3; features CALL-14, X-03).

Chunks are sized and sent in parallel by :mod:`connectors.dataverse.bulk_parallel`.
Not every table supports the bulk messages. When the action answers 404 or a
400 that is not a record-level validation error, the client remembers that for
the entity set and sends the same records as atomic ``$batch`` change sets
instead, so the all-or-nothing semantics of a standard-table bulk call hold.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from connectors.dataverse import odata
from connectors.dataverse.bulk_parallel import Sent, dop_hint, send_in_chunks
from connectors.dataverse.errors import BadResponseError, NotFoundError, ValidationError
from connectors.dataverse.refs import RecordRef, entity_path, strip_key_columns

if TYPE_CHECKING:
    from connectors.dataverse.client import DataverseClient

log = logging.getLogger(__name__)

_RECORD_LEVEL_CODES = frozenset({"0x80044331"})  # a validation error would fail the $batch just the same


def upsert_multiple(
    client: DataverseClient, entity_set: str, logical_name: str, records: Sequence[tuple[RecordRef, Mapping[str, Any]]]
) -> None:
    """Create or update every ``(key, body)`` pair; all-or-nothing per chunk.

    Chunks go in parallel (:mod:`connectors.dataverse.bulk_parallel`); a chunk that
    fails fails alone and the first failure is raised after every chunk was tried.
    Key columns are removed from each body: UpsertMultiple's create path fails
    when a key column is both in ``@odata.id`` and in the body (reference §1.12).
    """
    odata.identifier(logical_name, "table logical name")

    def send(chunk: Sequence[tuple[RecordRef, Mapping[str, Any]]]) -> Sent:
        targets = [
            {
                **strip_key_columns(body, ref),
                "@odata.type": f"Microsoft.Dynamics.CRM.{logical_name}",
                "@odata.id": entity_path(entity_set, ref),
            }
            for ref, body in chunk
        ]
        bulk = _try_bulk(client, entity_set, "UpsertMultiple", targets, idempotent=True)
        if bulk is not None:
            return bulk
        batch = client.batch()
        with batch.changeset() as changeset:
            for ref, body in chunk:
                changeset.add("PATCH", entity_path(entity_set, ref), dict(body))
        _raise_first_failure(client.execute(batch), len(chunk), "upsert_multiple")
        return Sent(None)

    send_in_chunks(records, send, max_chunk=client.bulk_chunk_size, tuning=client.bulk_tuning)


def create_multiple(
    client: DataverseClient, entity_set: str, logical_name: str, records: Sequence[Mapping[str, Any]]
) -> list[str]:
    """Create every record; returns the new GUIDs in input order. Not resent after a lost reply.

    On a failed chunk the raised error's ``bulk_results`` holds ``(start, ids)`` of the
    chunks that were created, so a caller does not create them twice.
    """
    odata.identifier(logical_name, "table logical name")

    def send(chunk: Sequence[Mapping[str, Any]]) -> Sent:
        targets = [{**body, "@odata.type": f"Microsoft.Dynamics.CRM.{logical_name}"} for body in chunk]
        bulk = _try_bulk(client, entity_set, "CreateMultiple", targets, idempotent=False)
        if bulk is not None:
            return Sent(_created_ids(bulk.value, len(chunk)), bulk.dop_hint)
        batch = client.batch()
        with batch.changeset() as changeset:
            for body in chunk:
                changeset.add("POST", odata.identifier(entity_set, "entity set name"), dict(body))
        results = client.execute(batch)
        _raise_first_failure(results, len(chunk), "create_multiple")
        ids = []
        for result in results:
            if result.entity_id is None:
                raise BadResponseError(
                    "a $batch create reply names no record", raw=repr(dict(result.headers)), operation="create_multiple"
                )
            ids.append(result.entity_id)
        return Sent(ids)

    chunks = send_in_chunks(records, send, max_chunk=client.bulk_chunk_size, tuning=client.bulk_tuning)
    return [record_id for _, ids in chunks for record_id in ids]


def _try_bulk(
    client: DataverseClient, entity_set: str, message: str, targets: list[dict[str, Any]], *, idempotent: bool
) -> Sent | None:
    """Send the bulk action: its reply (``{}`` for a 204) and the server's ``x-ms-dop-hint``;
    ``None`` when the table does not support it (use ``$batch``)."""
    if (entity_set, message) in client._bulk_unsupported:
        return None
    if not client.features.bulk_messages:  # on-premises has no bulk messages (dataverse_schema.versions)
        return None
    path = f"{odata.identifier(entity_set, 'entity set name')}/Microsoft.Dynamics.CRM.{message}"
    try:
        response = client.request("POST", path, json={"Targets": targets}, idempotent=idempotent, operation=message)
    except (NotFoundError, ValidationError) as exc:
        if isinstance(exc, ValidationError) and (exc.status != 400 or exc.code in _RECORD_LEVEL_CODES):
            raise
        client._bulk_unsupported.add((entity_set, message))
        log.info(
            "dataverse %s is not available for %s (%s); using $batch change sets",
            message,
            entity_set,
            exc.code or exc.status,
        )
        return None
    hint = dop_hint(response.headers)
    if response.status_code == 204 or not response.content:
        return Sent({}, hint)
    return Sent(client._json(response, message), hint)


def _created_ids(reply: Mapping[str, Any], expected: int) -> list[str]:
    ids = reply.get("Ids")
    if not isinstance(ids, list) or len(ids) != expected or not all(isinstance(i, str) for i in ids):
        raise BadResponseError(
            f"CreateMultiple reply should list {expected} ids", raw=repr(reply)[:500], operation="create_multiple"
        )
    return ids


def _raise_first_failure(results: Sequence[Any], expected: int, operation: str) -> None:
    for result in results:
        error = result.error(operation)
        if error is not None:
            raise error
    if len(results) != expected:
        raise BadResponseError(
            f"$batch reply has {len(results)} results for {expected} operations", operation=operation
        )
