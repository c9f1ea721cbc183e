"""Sending a :class:`~connectors.dataverse.batch.Batch`: chunks of ``$batch`` requests.

:meth:`~connectors.dataverse.client.DataverseClient.execute` delegates here. A
server without ``odata.continue-on-error`` gets it emulated
(:mod:`connectors.dataverse.batch_continue`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from connectors.dataverse.batch import (
    Batch,
    BatchResult,
    ChangeSet,
    Operation,
    encode_batch,
    is_idempotent,
    parse_batch_response,
)
from connectors.dataverse.batch_continue import continue_after_failures
from connectors.dataverse.headers import prefer

if TYPE_CHECKING:
    from connectors.dataverse.client import DataverseClient


def execute(client: DataverseClient, batch: Batch, *, continue_on_error: bool = False) -> list[BatchResult]:
    """One :class:`BatchResult` per reply part, in order, over chunks of ``client.max_batch_operations``.

    Without ``continue_on_error`` Dataverse stops at the first failure, the list
    ends with it and later chunks are not sent.
    """
    results: list[BatchResult] = []
    emulate = continue_on_error and not client.features.continue_on_error

    def send(chunk: list[Operation | ChangeSet]) -> list[BatchResult]:
        return send_batch(client, chunk)

    for chunk in batch.chunks(client.max_batch_operations):
        if emulate:
            results += continue_after_failures(chunk, send)
            continue
        part_results = send_batch(client, chunk, continue_on_error)
        results += part_results
        if not continue_on_error and any(not result.ok for result in part_results):
            break
    return results


def send_batch(
    client: DataverseClient, chunk: list[Operation | ChangeSet], continue_on_error: bool = False
) -> list[BatchResult]:
    """Send one ``$batch`` request of ``chunk`` and parse its reply parts."""
    body, content_type = encode_batch(chunk, urlsplit(client.api_url).path)
    headers = {"Content-Type": content_type}
    if continue_on_error:
        headers["Prefer"] = prefer("odata.continue-on-error")
    response = client.request(
        "POST", "$batch", content=body, headers=headers, idempotent=is_idempotent(chunk), operation="batch"
    )
    return parse_batch_response(response.headers.get("Content-Type", ""), response.content)
