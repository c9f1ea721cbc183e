"""The daemon's fax push endpoint: a Dataverse webhook step's RemoteExecutionContext → send that fax now (FAX-01).

``POST /fax/push`` (also under ``/api``, as the Functions app's route) is
authenticated by ``[fax] push_key`` as ``?code=`` (Dataverse's *WebhookKey*) or
an ``x-functions-key`` header, compared in constant time. Each of the daemon's
fax workers is asked in turn (:meth:`bridge.fax.worker.FaxWorker.push`) until
one finds the fax is its own; the answer names what came of it. Status codes
are the Functions handler's: 400 for a body that is not a RemoteExecutionContext
of a fax, 401 without the key, 503 when Dataverse is unavailable (the
asynchronous service posts again). Polling goes on regardless, so a push that
never arrives only delays the fax to the next send round.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Protocol

from bridge.push_route import PushRoute, has_push_key
from bridge.sms.http import Request, Response
from connectors.errors import ConnectorError
from connectors.settings import Secret
from dataverse_schema.names import Fax
from services.fax.sending import PushResult

log = logging.getLogger(__name__)
_PUSHED = PushRoute(Fax.TABLE, "fax", "fax_push", log)

#: Results that mean "ask the next server": the fax is not this worker's (or not in its environment).
_ELSEWHERE = (PushResult.NOT_THIS_SERVER, PushResult.NO_SERVER_ROW, PushResult.GONE)


class PushTarget(Protocol):
    async def push(self, fax_id: str) -> PushResult: ...


class FaxPushRoutes:
    """The request handler of the fax push endpoint over this daemon's fax workers."""

    def __init__(self, workers: Sequence[PushTarget], *, push_key: Secret):
        self._workers, self._push_key = tuple(workers), push_key

    async def __call__(self, request: Request) -> Response:
        if request.path.removeprefix("/api") != "/fax/push":
            return Response(404, b"not found\n")
        if not has_push_key(request, self._push_key):
            log.warning("fax push refused: no valid key", extra={"operation": "fax_push"})
            return Response(401)
        fax_id = _PUSHED.record_id(request)
        if isinstance(fax_id, Response):
            return fax_id
        try:
            result = await self._send(fax_id)
        except ConnectorError as exc:
            return _PUSHED.unavailable(exc)
        log.info("fax push handled: %s", result.value, extra={"operation": "fax_push", "key": fax_id})
        body = json.dumps({"fax": fax_id, "result": result.value}).encode()
        return Response(200, body, "application/json")

    async def _send(self, fax_id: str) -> PushResult:
        results = []
        for worker in self._workers:
            result = await worker.push(fax_id)
            if result not in _ELSEWHERE:
                return result
            results.append(result)
        if results and all(result is PushResult.GONE for result in results):
            return PushResult.GONE
        return PushResult.NOT_THIS_SERVER
