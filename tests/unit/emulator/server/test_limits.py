"""Modelled server time of bulk messages, the request timeout and x-ms-dop-hint, on a fake clock."""

from __future__ import annotations

import pytest

from emulator.errors import ODataError
from emulator.server.faults import FaultInjector, FaultPlan, plan_from_json
from emulator.server.limits import SQL_TIMEOUT_CODE, ServerModel, server_model_from_json


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


def test_defaults_are_the_documented_ones() -> None:
    assert FaultPlan().server == ServerModel(ms_per_record=10.0, request_timeout_s=120.0, dop_hint=8)
    assert FaultPlan.none().server.ms_per_record == 0


def test_a_bulk_request_takes_its_modelled_time() -> None:
    gate, clock = injector(FaultPlan(limits=None, server=ServerModel(ms_per_record=20)))
    gate.spend_bulk_time(500)
    assert clock.slept == [10.0]


def test_a_request_past_the_timeout_fails_after_the_timeout() -> None:
    gate, clock = injector(FaultPlan(limits=None, server=ServerModel(ms_per_record=10, request_timeout_s=120)))
    with pytest.raises(ODataError) as caught:
        gate.spend_bulk_time(12_001)
    assert (caught.value.status, caught.value.code) == (500, SQL_TIMEOUT_CODE)
    assert clock.slept == [120.0]
    gate.spend_bulk_time(12_000)  # exactly two minutes still completes
    assert clock.slept[-1] == 120.0


def test_modelled_time_uses_up_the_execution_budget() -> None:
    plan = FaultPlan(server=ServerModel(ms_per_record=100, request_timeout_s=1200))
    gate, clock = injector(plan)
    with gate.admit("u"):
        gate.spend_bulk_time(12_000)  # 1,200 s: the whole 20-minute budget
    with pytest.raises(ODataError) as caught, gate.admit("u"):
        pass
    assert caught.value.status == 429 and caught.value.code == "0x80072321"


@pytest.mark.parametrize("limits", [None, FaultPlan().limits])
def test_every_admitted_request_carries_the_dop_hint(limits) -> None:
    gate, _ = injector(FaultPlan(limits=limits, server=ServerModel(dop_hint=5)))
    with gate.admit("u") as headers:
        assert headers["x-ms-dop-hint"] == "5"


def test_the_admin_plan_sets_the_server_model() -> None:
    plan = plan_from_json({"server": {"ms_per_record": 2.5, "dop_hint": 3}}, FaultPlan(), now=0.0)
    assert plan.server == ServerModel(ms_per_record=2.5, request_timeout_s=120.0, dop_hint=3)
    assert plan.to_json(0.0)["server"] == {"ms_per_record": 2.5, "request_timeout_s": 120.0, "dop_hint": 3}


@pytest.mark.parametrize(
    "value",
    [
        [],
        {"speed": 1},
        {"ms_per_record": -1},
        {"dop_hint": 0},
        {"dop_hint": 2.5},
        {"request_timeout_s": 0},
        {"ms_per_record": True},
    ],
)
def test_bad_server_settings_are_refused(value) -> None:
    with pytest.raises(ValueError):
        server_model_from_json(value, ServerModel())
