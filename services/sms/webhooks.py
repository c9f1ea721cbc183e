"""What provider webhooks do once a host has the request: authenticate, read the body, apply it (SMS-02, -20).

Hosts pass a :class:`WebhookRequest` (URL, query, headers, body) and map the
outcome: :class:`NotAuthenticated` → 401, :class:`WebhookRefused` → 400,
a ``ConnectorError`` from Dataverse → 503 (the provider pushes again).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from connectors.errors import BadReplyError, ConnectorError, RejectedError
from connectors.settings import Secret
from connectors.sms.base import SmsProvider
from domain.sms import DeliveryReport
from services.sms.accounts import ProviderRegistry
from services.sms.delivery import DeliveryTracker
from services.sms.inbound.service import InboundReport, InboundService
from services.sms.inbound.webhook import WebhookRefused, read_push
from services.sms.webhook_auth import Endpoint, is_authentic

MAX_REPORT_BYTES = 64 * 1024


class NotAuthenticated(Exception):
    """The request carries neither the endpoint's token for the account nor a valid provider signature."""


@dataclass(frozen=True)
class WebhookRequest:
    """The parts of an HTTP request a webhook needs; the URL is never logged (it holds the token)."""

    url: str
    params: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type") or self.headers.get("content-type") or ""


class SmsWebhooks:
    """Delivery reports and inbound pushes sent by providers to ``/sms/dlr/<key>`` and ``/sms/inbound/<key>``."""

    def __init__(
        self, registry: ProviderRegistry, tracker: DeliveryTracker, inbound: InboundService, key: Secret | None
    ):
        self._registry, self._tracker, self._inbound, self._key = registry, tracker, inbound, key

    def delivery_reports(self, account_key: str, request: WebhookRequest) -> int:
        """Apply the delivery reports in ``request``; returns how many changed a message."""
        account = self._registry.by_key(account_key)
        if (
            account is None
            or account.provider is None
            or not self._authentic(
                account.provider, account_key, Endpoint.DELIVERY, account.row.webhook_generation, request
            )
        ):
            raise NotAuthenticated(account_key)
        if len(request.body) > MAX_REPORT_BYTES:
            raise WebhookRefused("body too large")
        try:
            items = account.provider.parse_webhook(request.body, request.content_type)
        except BadReplyError as exc:
            raise WebhookRefused(exc.message) from exc
        reports = [item for item in items if isinstance(item, DeliveryReport)]
        if not reports:
            raise WebhookRefused("no delivery report in the body")
        return self._tracker.apply(account.account_id, reports).applied

    def inbound(self, account_key: str, request: WebhookRequest, *, hold_if_unavailable: bool = False) -> InboundReport:
        """Store and act on the inbound texts in ``request``.

        With ``hold_if_unavailable`` (both hosts' webhooks: the daemon's hold is a local file, the Functions
        app's the inbound hold queue), texts that Dataverse could not take now are kept in the inbound hold and
        reported as ``held``; the ``ConnectorError`` is raised when they could not be kept either (no hold, the
        hold refused them, or Dataverse refused them).
        """
        account = self._inbound.account(account_key)
        if account is None or not self._authentic(
            account.provider, account_key, Endpoint.INBOUND, account.webhook_generation, request
        ):
            raise NotAuthenticated(account_key)
        messages = read_push(account.provider, request.body, request.content_type)
        try:
            return self._inbound.receive(account_key, messages)
        except ConnectorError as exc:
            if isinstance(exc, RejectedError) or not hold_if_unavailable:
                raise
            if not self._inbound.hold_pushed(account_key, messages):
                raise
            return InboundReport(held=[m.provider_id for m in messages])

    def _authentic(
        self, provider: SmsProvider, account_key: str, endpoint: Endpoint, generation: int, request: WebhookRequest
    ) -> bool:
        return is_authentic(
            provider,
            account_key,
            self._key,
            endpoint=endpoint,
            generation=generation,
            url=request.url,
            params=request.params,
            headers=request.headers,
            body=request.body,
        )
