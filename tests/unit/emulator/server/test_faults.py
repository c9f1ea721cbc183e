"""Service-protection throttling, outages and latency, on a fake clock."""

from __future__ import annotations

import pytest

from emulator.server.faults import (
    CONCURRENCY_CODE,
    EXECUTION_TIME_CODE,
    REQUEST_COUNT_CODE,
    FaultInjector,
    FaultPlan,
    Outage,
    ServiceProtection,
    ThrottledError,
    plan_from_json,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def injector(plan: FaultPlan) -> tuple[FaultInjector, FakeClock]:
    clock = FakeClock()
    return FaultInjector(plan, clock=clock, sleep=clock.sleep), clock


def send(gate: FaultInjector, user: str = "u") -> dict[str, str]:
    with gate.admit(user) as headers:
        return headers


def test_real_service_numbers_are_the_defaults() -> None:
    assert FaultPlan().limits == ServiceProtection(6000, 300.0, 1_200_000, 52)


def test_429_after_n_requests_with_retry_after_until_the_oldest_leaves_the_window() -> None:
    gate, clock = injector(FaultPlan(limits=ServiceProtection(requests_per_window=3, window_s=60)))
    assert send(gate) == {"x-ms-dop-hint": "8", "x-ms-ratelimit-burst-remaining-xrm-requests": "2"}
    clock.now += 10
    send(gate)
    send(gate)
    clock.now += 5
    with pytest.raises(ThrottledError) as caught:
        send(gate)
    error = caught.value
    assert (error.status, error.code, error.retry_after_s) == (429, REQUEST_COUNT_CODE, 45)
    assert error.message == "Number of requests exceeded the limit of 3 over time window of 60 seconds."
    clock.now += 45
    send(gate)


def test_users_have_separate_budgets() -> None:
    gate, _ = injector(FaultPlan(limits=ServiceProtection(requests_per_window=1)))
    send(gate, "a")
    send(gate, "b")
    with pytest.raises(ThrottledError):
        send(gate, "a")


def test_concurrency_limit_is_immediate() -> None:
    gate, _ = injector(FaultPlan(limits=ServiceProtection(max_concurrent=2)))
    with gate.admit("u"), gate.admit("u"), pytest.raises(ThrottledError) as caught:
        send(gate)
    assert caught.value.code == CONCURRENCY_CODE
    assert caught.value.message == "Number of concurrent requests exceeded the limit of 2."
    send(gate)


def test_execution_time_limit() -> None:
    gate, clock = injector(FaultPlan(limits=ServiceProtection(execution_ms_per_window=1000, window_s=100)))
    with gate.admit("u"):
        clock.now += 1.5
    with pytest.raises(ThrottledError) as caught:
        send(gate)
    assert caught.value.code == EXECUTION_TIME_CODE
    assert caught.value.retry_after_s == 100
    assert "exceeded limit of 1,000  milliseconds over time window of 100 seconds" in caught.value.message


def test_outage_returns_503_with_the_time_left() -> None:
    gate, clock = injector(FaultPlan(limits=None, outages=(Outage(1010, 1030),)))
    send(gate)
    clock.now = 1012.2
    with pytest.raises(ThrottledError) as caught:
        send(gate)
    assert (caught.value.status, caught.value.retry_after_s) == (503, 18)
    clock.now = 1030
    send(gate)


def test_latency_is_added() -> None:
    gate, clock = injector(FaultPlan(latency_ms=250, limits=None))
    send(gate)
    assert clock.slept == [0.25]


def test_admin_json_changes_the_plan() -> None:
    plan = plan_from_json(
        {"latency_ms": 5, "throttle": {"requests_per_window": 10}, "outage": {"duration_s": 3, "retry_after_s": 2}},
        FaultPlan.none(),
        now=50.0,
    )
    assert plan.latency_ms == 5
    assert plan.limits == ServiceProtection(requests_per_window=10)
    assert plan.outages == (Outage(50.0, 53.0, 2),)
    cleared = plan_from_json({"throttle": None, "outages": []}, plan, now=51.0)
    assert cleared.limits is None and cleared.outages == () and cleared.latency_ms == 5


@pytest.mark.parametrize(
    "payload, words",
    [
        ([], "JSON object"),
        ({"latency": 1}, "unknown fault settings"),
        ({"latency_ms": -1}, "non-negative"),
        ({"latency_ms": True}, "non-negative"),
        ({"throttle": {"requests": 5}}, "unknown throttle"),
        ({"throttle": {"requests_per_window": 0}}, "positive"),
        ({"throttle": 5}, "object or null"),
        ({"outage": {"duration_s": 0}}, "positive"),
        ({"outage": {"duration_s": 1, "starts_in_s": -1}}, "non-negative"),
        ({"outage": {"until": 1}}, "duration_s"),
        ({"outages": [1]}, "only be set to"),
    ],
)
def test_bad_admin_json_is_refused(payload: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        plan_from_json(payload, FaultPlan(), now=0.0)


def test_replacing_the_plan_resets_budgets() -> None:
    gate, _ = injector(FaultPlan(limits=ServiceProtection(requests_per_window=1)))
    send(gate)
    gate.replace_plan(gate.plan)
    send(gate)
