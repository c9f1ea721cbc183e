"""Call pipeline and system workers: listener isolation, sweep, restarts, auth failure, flush at stop."""

from __future__ import annotations

import asyncio
import logging
import random
from datetime import UTC, datetime, timedelta

import pytest

from bridge.config.model import SystemConfig
from bridge.crm.settings_source import StaticSettings
from bridge.runtime.workers import CallPipeline, SystemWorker, build_connector
from connectors.errors import AuthError
from connectors.pbx.base import ConnectionState
from connectors.pbx.transport.backoff import Backoff
from domain.calls.events import CallEvent, Direction, EventKind, ExtensionState
from domain.calls.record import CallChange
from domain.calls.tracker import CallTracker
from domain.numbers import NumberPlan

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
SYSTEM = SystemConfig(key="pbx", kind="ami", environments=("prod",), name="HQ", plan=NumberPlan(city_code="31"))


def ring(call_id: str = "c1") -> CallEvent:
    return CallEvent(
        EventKind.RING, "pbx", call_id, T0, direction=Direction.INBOUND, external_number="09121234567", extension="101"
    )


class Recorder:
    def __init__(self) -> None:
        self.calls, self.states = [], []

    def on_call(self, update, system) -> None:
        self.calls.append((update, system))

    def on_state(self, event, system) -> None:
        self.states.append((event, system))


class Broken:
    def on_call(self, update, system) -> None:
        raise RuntimeError("boom")

    def on_state(self, event, system) -> None:
        raise KeyError("state")


def pipeline(*listeners) -> CallPipeline:
    settings = StaticSettings([SYSTEM])
    built = CallPipeline(CallTracker(), lambda: settings)
    for listener in listeners:
        built.add_listener(listener)
    return built


def test_a_failing_listener_is_logged_counted_and_skipped(caplog: pytest.LogCaptureFixture) -> None:
    before, after = Recorder(), Recorder()
    pipe = pipeline(before, Broken(), after)
    pipe.feed(ring())
    pipe.feed(CallEvent(EventKind.STATE, "pbx", "", T0, extension="101", extension_state=ExtensionState.RINGING))
    assert len(before.calls) == len(after.calls) == 1 and len(after.states) == 1
    update, system = after.calls[0]
    assert CallChange.NEW in update.changes and system.name == "HQ" and system.plan.city_code == "31"
    assert pipe.listener_errors == {"Recorder": 0, "Broken": 2}
    assert "listener Broken failed in on_call" in caplog.text
    assert pipe.events["pbx"] == 2 and pipe.updates["pbx"] == 1


def test_duplicates_reach_nobody_and_unknown_systems_get_default_settings() -> None:
    recorder = Recorder()
    pipe = pipeline(recorder)
    pipe.feed(ring())
    pipe.feed(ring())
    other = CallEvent(EventKind.RING, "elsewhere", "x1", T0, extension="5")
    pipe.feed(other)
    assert len(recorder.calls) == 2 and recorder.calls[1][1].key == "elsewhere"


def test_a_slow_listener_is_reported_once(caplog: pytest.LogCaptureFixture) -> None:
    ticks = iter([0.0, 0.5, 1.0, 1.5])
    settings = StaticSettings([SYSTEM])
    pipe = CallPipeline(CallTracker(), lambda: settings, perf_clock=lambda: next(ticks))
    pipe.add_listener(Recorder(), "slow")
    pipe.feed(ring("a"))
    pipe.feed(ring("b"))
    assert caplog.text.count("listener slow took 500.0 ms") == 1


def test_sweep_ends_calls_whose_hangup_never_came() -> None:
    recorder = Recorder()
    pipe = pipeline(recorder)
    pipe.feed(ring())
    assert pipe.sweep(T0 + timedelta(hours=5)) == 1
    assert recorder.calls[-1][0].record.is_ended


class FakeConnector:
    kind = "fake"
    system = "pbx"

    def __init__(self, lives: list) -> None:
        self._lives = lives  # each life: events to queue, then an exception to raise or None to wait for stop
        self._queue: asyncio.Queue = asyncio.Queue()
        self._stopped = asyncio.Event()
        self.state = ConnectionState.STOPPED
        self.runs = 0

    async def run(self) -> None:
        events, error = self._lives[min(self.runs, len(self._lives) - 1)]
        self.runs += 1
        self.state = ConnectionState.CONNECTED
        for event in events:
            self._queue.put_nowait(event)
        if error is not None:
            raise error
        await self._stopped.wait()

    async def stop(self) -> None:
        self._stopped.set()

    async def events(self):
        while True:
            yield await self._queue.get()


def _run_worker(connector: FakeConnector, stop_after_s: float | None) -> tuple[SystemWorker, Recorder]:
    recorder = Recorder()

    async def main() -> SystemWorker:
        worker = SystemWorker(SYSTEM, connector, pipeline(recorder), backoff=Backoff(0.01, 0.02, random.Random(1)))
        task = asyncio.create_task(worker.run())
        if stop_after_s is not None:
            await asyncio.sleep(stop_after_s)
            await worker.stop()
        await asyncio.wait_for(task, 5)
        return worker

    return asyncio.run(main()), recorder


def test_stop_hands_every_queued_event_to_the_listeners() -> None:
    events = [ring(f"c{n}") for n in range(50)]
    connector = FakeConnector([(events, None)])
    worker, recorder = _run_worker(connector, stop_after_s=0)
    assert [u.record.call_id for u, _ in recorder.calls] == [f"c{n}" for n in range(50)]


def test_refused_credentials_stop_only_that_worker(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    connector = FakeConnector([([ring()], AuthError("login refused", system="pbx", operation="login"))])
    worker, recorder = _run_worker(connector, stop_after_s=None)
    assert worker.state is ConnectionState.AUTH_FAILED and connector.runs == 1
    assert len(recorder.calls) == 1 and "refused our credentials" in caplog.text


def test_an_unexpected_crash_restarts_the_connector() -> None:
    connector = FakeConnector([([ring("a")], RuntimeError("bug")), ([ring("b")], None)])
    worker, recorder = _run_worker(connector, stop_after_s=0.3)
    assert connector.runs == 2 and worker.restarts == 1
    assert [u.record.call_id for u, _ in recorder.calls] == ["a", "b"]


def test_connectors_are_built_for_each_kind() -> None:
    from bridge.config.loader import parse_config

    text = b"""
[environments.e]
url = "http://127.0.0.1:1"
static_token = "t"
[systems.a]
kind = "ami"
environments = ["e"]
host = "127.0.0.1"
username = "u"
password = "p"
[systems.t]
kind = "smdr-tcp"
environments = ["e"]
host = "127.0.0.1"
[systems.s]
kind = "smdr-serial"
environments = ["e"]
[systems.s.serial]
port = "loop://"
[systems.c]
kind = "callerid-serial"
environments = ["e"]
[systems.c.serial]
port = "loop://"
[systems.c.callerid]
device = "modem"
"""
    config = parse_config(text, "bridge.toml", {})
    kinds = {key: type(build_connector(system)).__name__ for key, system in config.systems.items()}
    assert kinds == {"a": "AmiConnector", "t": "SmdrConnector", "s": "SmdrConnector", "c": "CallerIdConnector"}


def test_a_source_without_settings_for_a_system_falls_back_to_the_file() -> None:
    class Empty:
        def settings_for(self, key):
            return None

        async def refresh(self):
            return None

    recorder = Recorder()
    pipe = CallPipeline(CallTracker(), lambda: Empty(), fallback=StaticSettings([SYSTEM]))
    pipe.add_listener(recorder)
    pipe.feed(ring())
    assert recorder.calls[0][1].plan.city_code == "31"
