"""Provider webhooks at the daemon (issue 14): their own threads and a Dataverse deadline counted from arrival."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from bridge.sms.http import Request
from bridge.sms.routes import SmsRoutes
from connectors.dataverse.deadline import current_deadline
from services.sms.inbound.service import InboundReport
from services.sms.webhook_deadline import WEBHOOK_DEADLINE_S


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class _Webhooks:
    def __init__(self, clock: _Clock, *, queue_wait_s: float = 0.0) -> None:
        self.clock, self.queue_wait_s = clock, queue_wait_s
        self.seen: list[tuple[str, float | None, dict]] = []

    def inbound(self, account_key, request, **options) -> InboundReport:
        deadline = current_deadline()
        self.seen.append((account_key, deadline.left_s() if deadline else None, options))
        return InboundReport(stored=["1"])

    def delivery_reports(self, account_key, request) -> int:
        deadline = current_deadline()
        self.seen.append((account_key, deadline.left_s() if deadline else None, {}))
        return 1


def _routes(webhooks: _Webhooks, clock: _Clock) -> SmsRoutes:
    sms = SimpleNamespace(webhooks=webhooks)
    return SmsRoutes(sms, push_key=None, public_url="https://sms.example.ir", clock=clock)  # type: ignore[arg-type]


def test_webhooks_answer_while_the_default_executor_is_taken_by_stuck_jobs() -> None:
    clock = _Clock()
    webhooks = _Webhooks(clock)
    routes = _routes(webhooks, clock)
    release, busy = threading.Event(), threading.Event()

    def stuck_job() -> None:  # an SMS job waiting on a silent CRM
        busy.set()
        release.wait(30)

    async def main() -> int:
        asyncio.get_running_loop().set_default_executor(ThreadPoolExecutor(1))
        job = asyncio.get_running_loop().run_in_executor(None, stuck_job)
        busy.wait(30)
        try:
            response = await asyncio.wait_for(routes(Request("POST", "/sms/inbound/kn?token=t", {}, b"x")), 20)
        finally:
            release.set()
            await job
            routes.close()
        return response.status

    assert asyncio.run(main()) == 200
    assert webhooks.seen == [("kn", WEBHOOK_DEADLINE_S, {"hold_if_unavailable": True})]


def test_the_deadline_counts_from_arrival_and_a_webhook_that_waited_it_all_is_503() -> None:
    clock = _Clock()
    webhooks = _Webhooks(clock)
    routes = _routes(webhooks, clock)
    original = routes._bounded

    def late(arrived, *args):  # the thread came free 1.5 s, then 2 s, after the request arrived
        clock.now = arrived + late.wait_s
        return original(arrived, *args)

    routes._bounded = late  # type: ignore[method-assign]
    try:
        late.wait_s = 1.5
        first = asyncio.run(routes(Request("POST", "/sms/dlr/kn?token=t", {}, b"x")))
        late.wait_s = WEBHOOK_DEADLINE_S
        second = asyncio.run(routes(Request("POST", "/sms/dlr/kn?token=t", {}, b"x")))
    finally:
        routes.close()
    assert first.status == 200 and webhooks.seen == [("kn", WEBHOOK_DEADLINE_S - 1.5, {})]
    assert second.status == 503  # Dataverse was not even asked
