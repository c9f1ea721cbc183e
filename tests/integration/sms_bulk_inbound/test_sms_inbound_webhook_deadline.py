"""The Functions inbound webhook with a slow Dataverse (X-03, SMS-21, issue 14): answered within its deadline,
the text held on the inbound hold queue and stored from there once, nothing lost, nothing doubled.

Dataverse is the emulator behind an adapter that plays it slow on the injected monotonic clock: *silent*
(no answer; the read times out after the time it was given) or *late* (the write is done but its answer
comes after the timeout). The clock moves only when the adapter says so; nothing sleeps. The hold queue is
the fake Service Bus sender of ``test_sms_inbound_hold``; its messages go to ``sms_inbound_hold``.
"""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import urlencode

import azure.functions as func
import pytest
import requests
from requests.adapters import HTTPAdapter

from connectors.dataverse import DataverseClient, RetryPolicy, StaticToken
from connectors.settings import Secret
from connectors.sms.kavenegar import KavenegarProvider, KavenegarSettings
from functions import sms_inbound as sms_inbound_functions
from services.sms.inbound.hold import ServiceBusHold
from services.sms.webhook_auth import Endpoint, webhook_token
from services.sms.webhook_deadline import WEBHOOK_DEADLINE_S, WebhookDeadline
from services.sms.webhooks import SmsWebhooks

from .conftest import TOKEN
from .fake_kavenegar import KEY
from .test_sms_inbound import activities
from .test_sms_inbound_hold import FakeQueueSender, service

pytestmark = pytest.mark.integration
SECRET = Secret("s3cret-deadline")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


class SlowDataverse(HTTPAdapter):
    """The emulator, played ``silent`` (never answers) or ``late`` (writes, answers after the timeout)."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock, self.mode = clock, ""
        self.read_timeouts: list[float] = []

    def send(self, request, **kwargs):  # noqa: ANN001, ANN003 - the requests adapter interface
        _, read_s = kwargs["timeout"]
        self.read_timeouts.append(read_s)
        if self.mode == "silent":
            self.clock.now += read_s
            raise requests.ReadTimeout("no answer")
        if self.mode == "late" and request.method == "POST":
            super().send(request, **kwargs)  # Dataverse does the write ...
            self.clock.now += read_s  # ... but its answer comes after the timeout
            raise requests.ReadTimeout("no answer in time")
        return super().send(request, **kwargs)


@pytest.fixture
def world(client, server, monkeypatch, request):
    """The Functions app's inbound webhook over a slow Dataverse; with a hold queue unless parametrised False."""
    clock = Clock()
    adapter = SlowDataverse(clock)
    with requests.Session() as http:
        http.mount(server.origin, adapter)
        slow = DataverseClient(
            base_url=server.origin,
            session=http,
            token_provider=StaticToken(TOKEN),
            retry=RetryPolicy(sleep=clock.sleep, rng=lambda: 0.5),
        )
        queue = FakeQueueSender()
        provider = KavenegarProvider(KavenegarSettings(api_key=KEY, inbound_lines=("3000202030",)), session=http)
        held = getattr(request, "param", True)
        inbound = service(slow, provider, ServiceBusHold(queue) if held else None)
        webhooks = SmsWebhooks(None, None, inbound, SECRET)  # type: ignore[arg-type] - inbound pushes only
        deadline = WebhookDeadline(WEBHOOK_DEADLINE_S, clock)
        sms = SimpleNamespace(inbound=inbound, webhooks=webhooks, webhook_deadline=deadline)
        monkeypatch.setattr(sms_inbound_functions, "services", lambda: SimpleNamespace(sms=sms))
        yield SimpleNamespace(clock=clock, adapter=adapter, queue=queue)


def push(message_id: str, text: str) -> func.HttpResponse:
    """The provider's push of one text, as Kavenegar sends it, to the Functions webhook."""
    body = urlencode({"from": "09127654321", "to": "3000202030", "message": text, "messageid": message_id})
    request = func.HttpRequest(
        "POST",
        "/api/sms/inbound/kv-in",
        body=body.encode(),
        params={"token": webhook_token(SECRET, "kv-in", Endpoint.INBOUND)},
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        route_params={"account_key": "kv-in"},
    )
    return sms_inbound_functions.sms_inbound_webhook.build().get_user_function()(request)


def store_held(queue: FakeQueueSender) -> None:
    """The ``sms_inbound_hold`` function, handed every message on the hold queue (as the host would)."""
    for sent in queue.sent:
        message = func.ServiceBusMessage(body=b"".join(sent.body), content_type="application/json")
        sms_inbound_functions.sms_inbound_hold(message)


@pytest.mark.parametrize("mode", ["silent", "late"])
def test_a_slow_dataverse_gets_the_text_held_within_the_deadline_and_stored_from_the_hold_once(
    client, world, mode: str
) -> None:
    message_id = f"dl-{mode}"
    world.adapter.mode, world.adapter.read_timeouts = mode, []
    arrived = world.clock.now

    response = push(message_id, "سلام، تماس بگیرید")

    assert response.status_code == 200  # durably held: the provider need not push it again
    assert world.clock.now - arrived <= WEBHOOK_DEADLINE_S  # answered within the deadline
    assert max(world.adapter.read_timeouts) <= WEBHOOK_DEADLINE_S
    assert [m.message_id for m in world.queue.sent] == [f"kv-in/{message_id}"]
    assert len(activities(client, message_id)) == (1 if mode == "late" else 0)

    world.adapter.mode = ""  # Dataverse answers again
    store_held(world.queue)
    store_held(world.queue)  # the queue delivers it twice
    assert push(message_id, "سلام، تماس بگیرید").status_code == 200  # and the provider pushed it again anyway
    stored = activities(client, message_id)
    assert len(stored) == 1 and stored[0]["comms_message"] == "سلام، تماس بگیرید"


@pytest.mark.parametrize("world", [False], indirect=True)  # an app without COMMS_SMS_INBOUND_HOLD_QUEUE
def test_without_a_hold_queue_a_slow_dataverse_is_503_within_the_deadline_and_the_repeat_is_stored_once(
    client, world
) -> None:
    world.adapter.mode = "silent"
    arrived = world.clock.now

    assert push("dl-nohold", "first").status_code == 503  # the provider pushes again
    assert world.clock.now - arrived <= WEBHOOK_DEADLINE_S and activities(client, "dl-nohold") == []

    world.adapter.mode = ""
    assert push("dl-nohold", "first").status_code == 200
    assert push("dl-nohold", "first").status_code == 200
    assert len(activities(client, "dl-nohold")) == 1 and world.queue.sent == []
