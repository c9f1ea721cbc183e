"""MSAL tokens refreshed ahead of expiry by one background fetch, and never waited for past a request deadline.

At Entra ID's wire format (``responses`` on ``login.microsoftonline.com``). The clock is injected; the
background fetch is started by a job list the test runs when it chooses, and a caller's wait for a fetch
either runs the pending jobs (a fetch that completes) or lets the injected clock pass the time it was given
(a fetch that does not complete in time): nothing sleeps, nothing races.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import requests

from connectors import errors as tree
from connectors.dataverse import ClientSecret, ConnectFailedError, DataverseClient, MsalTokenProvider, RetryPolicy
from connectors.dataverse.deadline import DeadlineExceededError, request_deadline
from connectors.dataverse.token_refresh import REFRESH_BEFORE_S, RETRY_AFTER_FAILURE_S, TokenRefresher
from connectors.settings import Secret

from .dataverse_support import API, CANARY, ORG, openid_configuration
from .test_dataverse_auth import CLIENT_ID, DISCOVERY_URL, TOKEN_URL, token_reply

LIFETIME_S = 3599  # what Entra ID gives a client-credentials token: expires_in 3599


class World:
    """The injected clock, the fetches started and not yet run, and how a caller's wait behaves."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.jobs: list[Callable[[], None]] = []
        self.fetch_completes = True  # False: the fetch is still under way when the caller's time runs out
        self.waited: list[float | None] = []
        self.scheduled: list[tuple[float, Callable[[], None]]] = []  # (due at, on the clock; refresh)

    def clock(self) -> float:
        return self.now

    def run_jobs(self) -> int:
        ran = 0
        while self.jobs:
            self.jobs.pop(0)()
            ran += 1
        return ran

    def wait(self, event: threading.Event, timeout_s: float | None) -> bool:
        self.waited.append(timeout_s)
        if self.fetch_completes:
            self.run_jobs()
        elif timeout_s is not None:
            self.now += timeout_s
        return event.is_set()

    def schedule(self, delay_s: float, work: Callable[[], None]) -> Timer:
        timer = Timer(self, (self.now + delay_s, work))
        self.scheduled.append(timer.entry)
        return timer

    def fire_timers(self) -> int:
        """Run the scheduled refreshes whose time has come on the clock."""
        due = [work for at, work in self.scheduled if at <= self.now]
        self.scheduled = [(at, work) for at, work in self.scheduled if at > self.now]
        for work in due:
            work()
        return len(due)

    def refresher(self, fetch) -> TokenRefresher:
        return TokenRefresher(fetch, clock=self.clock, start=self.jobs.append, wait=self.wait, schedule=self.schedule)

    def provider(self) -> MsalTokenProvider:
        return MsalTokenProvider(
            tenant_id="11111111-2222-3333-4444-555555555555",
            client_id=CLIENT_ID,
            credential=ClientSecret(Secret(CANARY)),
            resource_url=ORG,
            refresher=self.refresher,
        )


class Timer:
    """A scheduled refresh's handle: cancelling takes it off the world's list."""

    def __init__(self, world: World, entry: tuple[float, Callable[[], None]]) -> None:
        self.world, self.entry = world, entry

    def cancel(self) -> None:
        self.world.scheduled = [entry for entry in self.world.scheduled if entry is not self.entry]


@pytest.fixture
def world() -> World:
    return World()


def client_of(provider: MsalTokenProvider) -> DataverseClient:
    return DataverseClient(
        base_url=ORG,
        session=requests.Session(),
        token_provider=provider,
        retry=RetryPolicy(sleep=lambda s: None, rng=lambda: 0.5),
    )


def bearer(call) -> str:
    return call.request.headers["Authorization"]


def test_the_token_is_refreshed_in_the_background_ahead_of_expiry_by_one_fetch(wire, world: World) -> None:
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    for _ in range(3):
        wire.get(API + "WhoAmI", json={"UserId": "u"})
    wire.post(TOKEN_URL, json=token_reply("at-2"))
    wire.get(API + "WhoAmI", json={"UserId": "u"})
    provider = world.provider()
    client = client_of(provider)

    client.whoami()  # the first request waits for the first token
    world.now += LIFETIME_S - REFRESH_BEFORE_S - 1  # 301 s left: nothing to do yet
    client.whoami()
    assert world.jobs == []
    world.now += 2  # 299 s left: one refresh starts, the request goes on with the token it has
    client.whoami()
    assert len(world.jobs) == 1
    assert provider.token() == "at-1" and len(world.jobs) == 1  # single flight: no second fetch
    assert world.waited == [None]  # only the very first request waited

    assert world.run_jobs() == 1
    client.whoami()
    tokens = [c for c in wire.calls if c.request.url.startswith(TOKEN_URL)]
    assert len(tokens) == 2 and world.jobs == []
    assert [bearer(c) for c in wire.calls if c.request.url.startswith(API)] == ["Bearer at-1"] * 3 + ["Bearer at-2"]


def test_inside_a_deadline_a_request_gives_up_at_the_deadline_instead_of_waiting_for_the_token(
    wire, world: World
) -> None:
    provider = world.provider()
    client = client_of(provider)
    world.fetch_completes = False  # Entra ID is slow: the fetch takes longer than the webhook may wait

    with request_deadline(2.0, clock=world.clock), pytest.raises(DeadlineExceededError) as caught:
        client.whoami()
    error = caught.value
    assert isinstance(error, ConnectFailedError) and isinstance(error, tree.NotSentError)  # the hold's cue
    assert world.waited == [2.0] and len(world.jobs) == 1  # it waited the deadline, no more; the fetch goes on
    assert CANARY not in str(error)
    assert len(wire.calls) == 0  # nothing reached Dataverse

    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    wire.get(API + "WhoAmI", json={"UserId": "u"})
    world.run_jobs()  # the background fetch completes
    with request_deadline(2.0, clock=world.clock):
        assert client.whoami() == {"UserId": "u"}  # the next webhook finds the token there
    assert world.waited == [2.0] and bearer(wire.calls[-1]) == "Bearer at-1"


def test_a_second_caller_joins_the_fetch_under_way(wire, world: World) -> None:
    provider = world.provider()
    world.fetch_completes = False
    for _ in range(2):
        with request_deadline(2.0, clock=world.clock), pytest.raises(DeadlineExceededError):
            provider.token()
    assert len(world.jobs) == 1  # one fetch for both

    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    world.run_jobs()
    assert provider.token() == "at-1" and world.jobs == []


def test_a_failed_refresh_keeps_the_current_token_and_is_tried_again_later(wire, world: World) -> None:
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    wire.post(TOKEN_URL, body=requests.ConnectionError("refused"))
    wire.post(TOKEN_URL, json=token_reply("at-2"))
    provider = world.provider()
    assert provider.token() == "at-1"
    world.now += LIFETIME_S - REFRESH_BEFORE_S + 1
    assert provider.token() == "at-1" and world.run_jobs() == 1  # the refresh fails: AAD unreachable
    world.now += RETRY_AFTER_FAILURE_S - 1
    assert provider.token() == "at-1" and world.jobs == []  # not hammered
    world.now += 1
    assert provider.token() == "at-1" and world.run_jobs() == 1
    assert provider.token() == "at-2"


def test_a_token_about_to_expire_is_not_handed_out(wire, world: World) -> None:
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    wire.post(TOKEN_URL, json=token_reply("at-2"))
    provider = world.provider()
    assert provider.token() == "at-1"
    world.now += LIFETIME_S - 10  # no refresh had a chance to run (the process was idle): 10 s left
    assert provider.token() == "at-2" and world.waited == [None, None]


def test_a_401_inside_a_deadline_waits_for_the_fresh_token_no_longer_than_the_deadline(wire, world: World) -> None:
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    wire.get(API + "WhoAmI", status=401, json={"error": {"code": "", "message": "ExpiredAuthTicket"}})
    provider = world.provider()
    assert provider.token() == "at-1"
    world.fetch_completes = False
    with request_deadline(2.0, clock=world.clock), pytest.raises(DeadlineExceededError):
        client_of(provider).whoami()
    assert world.waited == [None, 2.0]


def test_a_process_with_no_requests_still_refreshes_ahead_of_expiry(wire, world: World) -> None:
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    wire.post(TOKEN_URL, body=requests.ConnectionError("refused"))
    wire.post(TOKEN_URL, json=token_reply("at-2"))
    provider = world.provider()
    assert provider.token() == "at-1"
    assert [at for at, _ in world.scheduled] == [world.now + LIFETIME_S - REFRESH_BEFORE_S]
    world.now += LIFETIME_S - REFRESH_BEFORE_S  # an idle hour: no request asks for the token
    assert world.fire_timers() == 1 and world.run_jobs() == 1  # the refresh fails: AAD unreachable
    assert [at - world.now for at, _ in world.scheduled] == [RETRY_AFTER_FAILURE_S]  # tried again, not hammered
    world.now += RETRY_AFTER_FAILURE_S
    assert world.fire_timers() == 1 and world.run_jobs() == 1
    assert provider.token() == "at-2" and world.waited == [None]  # the next request waits for nothing


def test_a_token_fetched_early_leaves_one_scheduled_refresh(wire, world: World) -> None:
    wire.get(DISCOVERY_URL, json=openid_configuration())
    wire.post(TOKEN_URL, json=token_reply("at-1"))
    wire.post(TOKEN_URL, json=token_reply("at-2"))
    provider = world.provider()
    assert provider.token() == "at-1"
    world.now += 600
    assert provider.token(force_refresh=True) == "at-2"  # Dataverse refused at-1 (a 401)
    assert [at for at, _ in world.scheduled] == [world.now + LIFETIME_S - REFRESH_BEFORE_S]  # at-1's is cancelled
