"""A Dataverse push of one table's rows, read the one way for every pushed table (FAX-01, SMS-05).

A push is the RemoteExecutionContext JSON of a Service Bus message or of a webhook
POST. :class:`PushedTable` parses it, refuses junk (the queue's raises, so the host
dead-letters it; the webhook's gets 400) and rows of other tables, and returns the
pushed row's id; the blueprint hands that id to its own service.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import azure.functions as func

from connectors.dataverse.remote_context import MAX_PUSH_BYTES, PushError, parse_remote_context
from connectors.errors import ConnectorError


@dataclass(frozen=True)
class PushedTable:
    """The table a blueprint's pushes are for, how its log lines name them, and the blueprint's logger."""

    table: str
    what: str  # "fax", "SMS": how log lines name the pushed row
    operation: str
    log: logging.Logger

    def from_queue(self, msg: func.ServiceBusMessage) -> str | None:
        """The pushed row's id, or None for another table's row; raises :class:`PushError` on junk."""
        try:
            pushed = parse_remote_context(msg.get_body())
        except PushError as exc:
            self.log.error(
                "%s push message refused (%s); it goes to the dead-letter queue",
                self.what,
                exc,
                extra={"operation": self.operation, "key": msg.message_id},
            )
            raise
        if pushed.entity != self.table:
            self.log.warning("push for table %s ignored; register the step on %s only", pushed.entity, self.table)
            return None
        return pushed.record_id

    def from_webhook(self, req: func.HttpRequest) -> str | func.HttpResponse:
        """The pushed row's id, or the 400 answer to a body that is too large, junk, or another table's row."""
        body = req.get_body()
        if len(body) > MAX_PUSH_BYTES:
            return func.HttpResponse("body too large", status_code=400)
        try:
            pushed = parse_remote_context(body)
        except PushError as exc:
            self.log.warning("%s webhook push refused: %s", self.what, exc, extra={"operation": self.operation})
            return func.HttpResponse(str(exc), status_code=400)
        if pushed.entity != self.table:
            return func.HttpResponse(f"table {pushed.entity} is not handled here", status_code=400)
        return pushed.record_id

    def unavailable(self, exc: ConnectorError) -> func.HttpResponse:
        """The 503 answer to a webhook push Dataverse could not serve now; Dataverse retries it."""
        self.log.warning(
            "%s push could not be handled now: %s", self.what, type(exc).__name__, extra={"operation": self.operation}
        )
        return func.HttpResponse("Dataverse unavailable; retry", status_code=503)
