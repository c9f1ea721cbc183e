"""A Dataverse webhook push to the daemon, read the one way for every pushed table (FAX-01, SMS-05).

The daemon's ``/fax/push`` and ``/sms/push`` answer as the Functions app's
webhooks do (``functions/push_context.py``): the push key as ``?code=`` or an
``x-functions-key`` header, compared in constant time; 400 for a body that is
too large, not a RemoteExecutionContext, or another table's row; 503 when
Dataverse is unavailable.
"""

from __future__ import annotations

import hmac
import logging
from dataclasses import dataclass

from bridge.sms.http import Request, Response
from connectors.dataverse.remote_context import MAX_PUSH_BYTES, PushError, parse_remote_context
from connectors.errors import ConnectorError
from connectors.settings import Secret


def has_push_key(request: Request, push_key: Secret) -> bool:
    """Whether the request carries the push key, as ``?code=`` or an ``x-functions-key`` header."""
    given = request.params.get("code") or request.headers.get("x-functions-key", "")
    return hmac.compare_digest(given.encode(), push_key.reveal().encode())


@dataclass(frozen=True)
class PushRoute:
    """The table a route's pushes are for, how its log lines name them, and the route's logger."""

    table: str
    what: str  # "fax", "SMS": how log lines name the pushed row
    operation: str
    log: logging.Logger

    def record_id(self, request: Request) -> str | Response:
        """The pushed row's id, or the 400 answer to a body that is too large, junk, or another table's row."""
        if len(request.body) > MAX_PUSH_BYTES:
            return Response(400, b"body too large")
        try:
            pushed = parse_remote_context(request.body)
        except PushError as exc:
            self.log.warning("%s webhook push refused: %s", self.what, exc, extra={"operation": self.operation})
            return Response(400, str(exc).encode())
        if pushed.entity != self.table:
            return Response(400, f"table {pushed.entity} is not handled here".encode())
        return pushed.record_id

    def unavailable(self, exc: ConnectorError) -> Response:
        """The 503 answer to a push Dataverse could not serve now; Dataverse posts it again."""
        self.log.warning(
            "%s push could not be handled now: %s", self.what, type(exc).__name__, extra={"operation": self.operation}
        )
        return Response(503, b"Dataverse unavailable; retry")
