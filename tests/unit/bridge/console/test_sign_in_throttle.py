"""Console sign-in throttle (issue 11, 2.5): guesses are slowed per client and overall, answered 429 with
Retry-After; the clock is injected, nothing sleeps."""

from __future__ import annotations

import asyncio
import json

from bridge.console.api import Api
from bridge.console.http import HttpError, Request
from bridge.console.live import LiveView
from bridge.console.sessions import Sessions
from bridge.console.throttle import SignInThrottle

from .builders import AGENT_A, TOKENS, settings

HOST = "127.0.0.1:9109"


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def api(throttle: SignInThrottle) -> Api:
    chosen = settings()
    return Api(chosen, LiveView(), Sessions(chosen), None, None, dict, throttle=throttle)


def sign_in(target: Api, token: str, client: str = "10.0.0.5") -> tuple[int, dict[str, str]]:
    request = Request(
        "POST",
        "/api/session",
        {},
        {"host": HOST, "origin": f"http://{HOST}", "content-type": "application/json"},
        json.dumps({"token": token}).encode(),
        client=client,
    )
    try:
        reply = asyncio.run(target.handle(request))
    except HttpError as exc:
        return exc.status, dict(exc.headers)
    return int(reply.split(b" ", 2)[1]), {}


def test_a_client_guessing_tokens_is_answered_429_with_retry_after_and_backs_off():
    clock = Clock()
    target = api(SignInThrottle(clock=clock, free_failures=3, base_delay_s=1, max_delay_s=60))
    assert [sign_in(target, "wrong-guess")[0] for _ in range(3)] == [401, 401, 401]
    status, headers = sign_in(target, "wrong-guess")
    assert status == 429 and headers["Retry-After"] == "1"
    # While locked out even the right token is refused, so guessing gains nothing.
    assert sign_in(target, TOKENS[AGENT_A])[0] == 429
    clock.now += 1
    assert sign_in(target, "wrong-guess")[0] == 401
    status, headers = sign_in(target, "wrong-guess")
    assert status == 429 and headers["Retry-After"] == "2"  # the wait doubles
    clock.now += 2
    assert sign_in(target, TOKENS[AGENT_A])[0] == 200


def test_the_wait_is_capped_and_a_success_clears_the_clients_record():
    clock = Clock()
    throttle = SignInThrottle(clock=clock, free_failures=1, base_delay_s=1, max_delay_s=8)
    target = api(throttle)
    waits = []
    for _ in range(8):
        sign_in(target, "wrong-guess")
        status, headers = sign_in(target, "wrong-guess")
        waits.append(int(headers.get("Retry-After", 0)) if status == 429 else 0)
        clock.now += waits[-1]
    assert waits[-1] == 8 and max(waits) == 8
    assert sign_in(target, TOKENS[AGENT_A])[0] == 200
    assert sign_in(target, "wrong-guess")[0] == 401  # a fresh start after a success


def test_other_clients_are_not_locked_out_by_one_guesser():
    clock = Clock()
    target = api(SignInThrottle(clock=clock, free_failures=2))
    for _ in range(5):
        sign_in(target, "wrong-guess", client="10.0.0.66")
    assert sign_in(target, TOKENS[AGENT_A], client="10.0.0.5")[0] == 200


def test_guesses_spread_over_many_clients_meet_the_global_limit():
    clock = Clock()
    target = api(SignInThrottle(clock=clock, global_failures=10, global_window_s=60))
    statuses = [sign_in(target, "wrong-guess", client=f"10.0.{n // 250}.{n % 250}")[0] for n in range(30)]
    assert statuses.count(401) == 10 and statuses[10:] == [429] * 20
    status, headers = sign_in(target, TOKENS[AGENT_A], client="10.9.9.9")
    assert status == 429 and 0 < int(headers["Retry-After"]) <= 60
    clock.now += 60
    assert sign_in(target, TOKENS[AGENT_A], client="10.9.9.9")[0] == 200


def test_the_client_table_stays_bounded():
    clock = Clock()
    throttle = SignInThrottle(clock=clock, max_clients=100, global_failures=100_000)
    for n in range(1000):
        throttle.failed(f"client-{n}")
    assert throttle.tracked_clients <= 100
