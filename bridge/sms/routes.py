"""What the daemon's SMS endpoint answers: the Functions app's HTTP routes, with the same authentication.

* ``POST /sms/push``: a Dataverse webhook step's RemoteExecutionContext; authenticated by ``[sms] push_key``
  as ``?code=`` (Dataverse's *WebhookKey*) or an ``x-functions-key`` header; ``sender.send``
  (``functions/sms_push.py``).
* ``POST /sms/dlr/<account>``, ``POST /sms/inbound/<account>``: provider webhooks; authenticated by the
  account's delivery / inbound token or the provider's signature; ``webhooks.delivery_reports`` /
  ``webhooks.inbound`` (``functions/sms_webhooks.py``, ``functions/sms_inbound.py``).
* ``POST /sms/bulk/<id>/start``: ``push_key`` as above; ``bulk.start`` (``functions/sms_bulk.py``).
* ``POST /sms/providers/<account>/test-send``: ``push_key`` as above; the provider form's "Test send"
  (``services.sms.panel_trial.trial_send_account``, ``functions/sms_provider_test.py``).

Each route is also answered under ``/api`` (``/api/sms/dlr/<account>``), so a
provider's URL moves from Azure to the daemon by its host alone. Status codes
and bodies are the Functions handlers': 401 without authentication, 400 for a
body that cannot be read, 503 when Dataverse is unavailable (the caller sends
again). Service calls block, so they run in a worker thread.

A provider times a webhook out after a few seconds and pushes again, so the
Dataverse work of ``/sms/dlr`` and ``/sms/inbound`` is bounded by
``WEBHOOK_DEADLINE_S`` (retries included; :mod:`services.sms.webhook_deadline`,
shared with the Functions app): with Dataverse down or silent a
delivery report is answered 503 within it (the provider pushes again), and
inbound texts are kept in the daemon's inbound hold and answered 200 once
durably kept (503 if the hold refused them too). Webhooks run on their own
threads (``WEBHOOK_WORKERS``), so SMS jobs stuck on a silent CRM in the
default executor never keep a provider waiting. The webhook URL
handed to the signature check is ``[sms] public_url`` + the path and query the
daemon received: the URL the provider called through the reverse proxy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial

from bridge.push_route import PushRoute, has_push_key
from bridge.runtime.inflight import busy
from bridge.sms.http import Request, Response
from connectors.errors import ConnectorError, RejectedError
from connectors.settings import Secret
from dataverse_schema.names import Sms
from services.factory import SmsServices
from services.sms.inbound.webhook import WebhookRefused
from services.sms.panel_trial import TrialRequestError, parse_trial_request, trial_send_account
from services.sms.webhook_deadline import WEBHOOK_DEADLINE_S, WebhookDeadline
from services.sms.webhooks import NotAuthenticated, WebhookRequest

log = logging.getLogger(__name__)
_PUSHED = PushRoute(Sms.TABLE, "SMS", "sms_push", log)

_ACCOUNT_ROUTE = re.compile(r"/sms/(dlr|inbound)/([^/]{1,200})")
_BULK_ROUTE = re.compile(r"/sms/bulk/([^/]{1,100})/start")
_TEST_SEND_ROUTE = re.compile(r"/sms/providers/([^/]{1,200})/test-send")
_JSON = "application/json"
#: Threads for provider webhooks, apart from the default executor where the SMS jobs may wait on a silent CRM.
WEBHOOK_WORKERS = 4


class SmsRoutes:
    """The request handler of :class:`bridge.sms.http.SmsHttpServer` over one process's SMS services.

    ``webhook_deadline_s`` bounds the Dataverse work of one provider webhook, retries included
    (:class:`services.sms.webhook_deadline.WebhookDeadline`, on ``clock``).
    """

    def __init__(
        self,
        sms: SmsServices,
        *,
        push_key: Secret | None,
        public_url: str,
        webhook_deadline_s: float = WEBHOOK_DEADLINE_S,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._sms, self._push_key, self._public_url = sms, push_key, public_url
        self._deadline, self._clock = WebhookDeadline(webhook_deadline_s, clock), clock
        self._pool = ThreadPoolExecutor(WEBHOOK_WORKERS, thread_name_prefix="sms-webhook")

    def close(self) -> None:
        """Stop taking webhook work; calls already running are not waited for (the provider pushes again)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    async def __call__(self, request: Request) -> Response:
        path = request.path.removeprefix("/api")
        if path == "/sms/push":
            return await self._keyed(request, self._push)
        if match := _ACCOUNT_ROUTE.fullmatch(path):
            return await self._account_webhook(match.group(1), match.group(2), request)
        if match := _BULK_ROUTE.fullmatch(path):
            return await self._keyed(request, lambda r: self._bulk_start(match.group(1)))
        if match := _TEST_SEND_ROUTE.fullmatch(path):
            return await self._keyed(request, lambda r: self._test_send(match.group(1), r))
        return Response(404, b"not found\n")

    async def _keyed(self, request: Request, handle) -> Response:
        if self._push_key is None:
            return Response(404, b"not configured here: set [sms] push_key_env or push_key_file\n")
        if not has_push_key(request, self._push_key):
            log.warning("SMS request refused: no valid key", extra={"operation": "sms_http"})
            return Response(401)
        return await handle(request)

    async def _push(self, request: Request) -> Response:
        sms_id = _PUSHED.record_id(request)
        if isinstance(sms_id, Response):
            return sms_id
        try:
            outcome = await asyncio.to_thread(self._sms.sender.send, sms_id)
        except ConnectorError as exc:
            return _PUSHED.unavailable(exc)
        body = json.dumps({"sms": outcome.sms_id, "result": outcome.result.value}).encode()
        return Response(200, body, _JSON)

    async def _bulk_start(self, bulk_id: str) -> Response:
        try:
            uuid.UUID(bulk_id)
        except ValueError:
            return Response(400, b"the bulk id must be a GUID")
        try:
            state = await asyncio.to_thread(self._sms.bulk.start, bulk_id)
        except RejectedError as exc:
            return Response(404, str(exc).encode())
        except ConnectorError as exc:
            log.warning("bulk start not done now: %s", type(exc).__name__, extra={"operation": "sms_bulk_start"})
            return Response(503, b"Dataverse unavailable; retry")
        return Response(202, json.dumps({"state": state}).encode(), _JSON)

    async def _test_send(self, account_key: str, request: Request) -> Response:
        try:
            to, text = parse_trial_request(request.body)
        except TrialRequestError as exc:
            return Response(400, str(exc).encode())
        try:
            outcome = await asyncio.to_thread(trial_send_account, self._sms.registry, account_key, to=to, text=text)
        except ConnectorError as exc:
            log.warning("test send not done now: %s", type(exc).__name__, extra={"operation": "sms_test_send"})
            return Response(503, b"Dataverse unavailable; retry")
        if outcome is None:
            return Response(404, b"no active SMS provider account has that key")
        return Response(200, json.dumps(outcome.as_dict(), ensure_ascii=False).encode(), _JSON)

    async def _account_webhook(self, endpoint: str, account_key: str, request: Request) -> Response:
        webhook = WebhookRequest(
            url=self._url(request), params=request.params, headers=request.headers, body=request.body
        )
        context = {"operation": "dlr" if endpoint == "dlr" else "inbound_webhook", "account": account_key[:50]}
        webhooks = self._sms.webhooks
        call = webhooks.delivery_reports if endpoint == "dlr" else partial(webhooks.inbound, hold_if_unavailable=True)
        try:
            result = await asyncio.get_running_loop().run_in_executor(
                self._pool, self._bounded, self._clock(), f"SMS {endpoint} webhook", call, account_key, webhook
            )
        except NotAuthenticated:
            log.warning("%s webhook refused: not authenticated", endpoint, extra=context)
            return Response(401)
        except WebhookRefused as exc:
            log.warning("%s webhook body refused: %s", endpoint, exc, extra=context)
            return Response(400, str(exc).encode())
        except ConnectorError as exc:
            log.warning("%s webhook not written now: %s", endpoint, type(exc).__name__, extra=context)
            return Response(503, b"Dataverse unavailable; retry" if endpoint == "dlr" else b"")
        return Response(200, f"applied {result}".encode() if endpoint == "dlr" else b"")

    def _bounded(self, arrived: float, what: str, call: Callable[..., object], *args: object) -> object:
        """``call(*args)`` in a webhook thread, its Dataverse requests bounded by the deadline counted from
        ``arrived`` (time spent waiting for a thread counts too)."""
        with busy(what):
            return self._deadline.run(arrived, what, call, *args)

    def _url(self, request: Request) -> str:
        """The URL the provider called: the proxy's public address and the path and query received here."""
        origin = self._public_url or f"http://{request.headers.get('host', 'localhost')}"
        return origin + request.target
