"""``continue-on-error`` for servers without it: resend what follows a failure.

Online Dataverse honours ``Prefer: odata.continue-on-error`` in ``$batch``; CRM
2016 and Dynamics 365 on-premises do not ("any error that occurs in the batch
stops the processing", the CRM 2016 ``$batch`` page), so the reply ends with the
first failed part. The client sends such a chunk without the preference and,
after a failure, sends the items after the failed one again as a new ``$batch``,
until every item has a result: the caller sees the same one-result-per-item
list as online, and a bad record is isolated instead of stopping its neighbours.
A change set that fails has one result (its failing operation); the ones after
it are resent. Feature X-03.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from connectors.dataverse.batch import BatchResult, ChangeSet, Operation

Item = Operation | ChangeSet
#: Sends one ``$batch`` of items (without ``continue-on-error``) and parses its reply.
SendBatch = Callable[[list[Item]], list[BatchResult]]


def continue_after_failures(items: Sequence[Item], send: SendBatch) -> list[BatchResult]:
    """Results for every item of ``items``, resending the rest after each failure."""
    results: list[BatchResult] = []
    pending = list(items)
    while pending:
        reply = send(pending)
        consumed, taken = _consumed(pending, reply)
        results += reply[:taken]
        if consumed == 0:
            # A reply with no result for the first item: report what came and stop, never loop.
            results += reply[taken:]
            break
        pending = pending[consumed:]
    return results


def _consumed(items: Sequence[Item], reply: Sequence[BatchResult]) -> tuple[int, int]:
    """How many items the reply settles (the failed one included) and how many results that takes."""
    position = 0
    for index, item in enumerate(items):
        size = len(item.operations) if isinstance(item, ChangeSet) else 1
        part = reply[position : position + size]
        failed = next((offset for offset, result in enumerate(part) if not result.ok), None)
        if failed is not None:
            return index + 1, position + failed + 1
        if len(part) < size:
            return index, position
        position += size
    return len(items), position
