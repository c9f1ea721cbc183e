"""The deadline on a provider webhook's Dataverse work, the same in every host (X-03, SMS-20, -21; issue 14).

A provider times a webhook out after a few seconds and pushes it again, so a
host answers within :data:`WEBHOOK_DEADLINE_S` of the request's arrival even
when Dataverse is slow, down, or its sign-in token is still being fetched:
:meth:`WebhookDeadline.run` runs the webhook's service call inside
:func:`connectors.dataverse.deadline.request_deadline` for the time left since
arrival, so every Dataverse request of the call (retries and the wait for a
token included) ends by then with a ``ConnectorError``. Inbound texts are then
kept in the inbound hold (:meth:`SmsWebhooks.inbound` with
``hold_if_unavailable``) and answered 200; delivery reports are answered 503.
The daemon (``bridge/sms/routes.py``) and the Functions app
(``functions/sms_inbound.py``, ``functions/sms_webhooks.py``) both call it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from connectors.dataverse.deadline import MIN_ATTEMPT_S, DeadlineExceededError, request_deadline

#: The most a provider webhook's Dataverse work may take, retries included (seconds); providers wait ~5 s.
WEBHOOK_DEADLINE_S = 2.0
_T = TypeVar("_T")


@dataclass(frozen=True)
class WebhookDeadline:
    """``seconds`` from a webhook's arrival (on ``clock``, monotonic) for all its Dataverse requests."""

    seconds: float = WEBHOOK_DEADLINE_S
    clock: Callable[[], float] = field(default=time.monotonic, compare=False)

    def __post_init__(self) -> None:
        if self.seconds <= MIN_ATTEMPT_S:
            raise ValueError(f"a webhook deadline must be more than {MIN_ATTEMPT_S} s")

    def run(self, arrived: float, what: str, call: Callable[..., _T], *args: object) -> _T:
        """``call(*args)`` with its Dataverse requests bounded by the deadline counted from ``arrived``.

        Time spent before the call (waiting for a thread) counts too; when too little is left,
        :class:`DeadlineExceededError` (nothing sent, safe to retry) is raised without calling.
        """
        left = self.seconds - (self.clock() - arrived)
        if left <= MIN_ATTEMPT_S:
            raise DeadlineExceededError("the webhook waited its whole deadline before its work began", operation=what)
        with request_deadline(left, clock=self.clock):
            return call(*args)
