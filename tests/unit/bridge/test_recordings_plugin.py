"""The recordings plug-in: which calls reach the fetcher with which environment's settings, what it wires
into the bridge, and the ``recordings`` check of ``bridge check`` (CALL-28)."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from bridge.config.loader import parse_config
from bridge.config.model import BridgeConfig
from bridge.outbox.store import Outbox
from bridge.plugins.recordings import _InEnvironments, build_fetcher, check_recordings, from_bridge
from bridge.recordings.jobs import RecordingJob, RecordingJobs
from bridge.recordings.policy import RecordingPolicy
from bridge.runtime.check import EXTRA_CHECKS
from domain.calls.events import CallEvent, EventKind
from domain.calls.record import CallUpdate
from domain.calls.system_settings import TelephonySystemSettings
from services.calls.recordings import STATUS_ATTACHED

from .test_recordings import DAY, NAME, ended, system

ENVIRONMENTS = """
[environments.prod]
url = "https://contoso.crm4.dynamics.com"
static_token = "t"
[environments.branch]
url = "https://branch.crm4.dynamics.com"
static_token = "t"
"""


def config_for(tmp_path: Path, systems: str) -> BridgeConfig:
    text = f'[bridge]\noutbox = "{tmp_path / "state" / "outbox.db"}"\n' + ENVIRONMENTS + systems
    (tmp_path / "state").mkdir(exist_ok=True)
    return parse_config(text.encode(), "bridge.toml", {})


def system_table(key: str, environments: str, recordings: str = "") -> str:
    return (
        f'[systems.{key}]\nkind = "ami"\nenvironments = {environments}\nhost = "10.0.0.5"\n'
        f'username = "crm"\npassword = "x"\n{recordings}'
    )


class SpyFetcher:
    def __init__(self) -> None:
        self.calls: list[tuple[CallUpdate, dict[str, TelephonySystemSettings]]] = []

    def fetch_for(self, update: CallUpdate, settings: dict[str, TelephonySystemSettings]) -> None:
        self.calls.append((update, dict(settings)))


def in_crm(environment: str, fallback: TelephonySystemSettings) -> TelephonySystemSettings:
    return dataclasses.replace(fallback, record_id=f"{environment}-row")


def test_each_call_reaches_the_fetcher_once_with_every_environment_s_own_settings() -> None:
    spy = SpyFetcher()
    adapter = _InEnvironments(spy, {"tehran": ("prod", "branch")}, in_crm)  # type: ignore[arg-type]
    adapter.on_call(ended(), system())
    ((update, settings),) = spy.calls
    assert update == ended() and list(settings) == ["prod", "branch"]
    assert [s.record_id for s in settings.values()] == ["prod-row", "branch-row"]


def test_calls_of_a_system_without_a_store_and_extension_states_do_not_reach_it() -> None:
    spy = SpyFetcher()
    adapter = _InEnvironments(spy, {"shiraz": ("prod",)}, in_crm)  # type: ignore[arg-type]
    adapter.on_call(ended(), system())  # tehran has no [systems.tehran.recordings] table
    adapter.on_state(CallEvent(EventKind.STATE, "tehran", "", ended().record.started_at, extension="3201"), system())
    assert spy.calls == []


# -- wiring -----------------------------------------------------------------------------------


class FakeBridge:
    """What from_bridge uses of the daemon: config, outbox, listeners, tasks, shutdown hooks."""

    def __init__(self, config: BridgeConfig) -> None:
        self.config = config
        self.outbox = Outbox(config.bridge.outbox)
        self.listeners: list[tuple[Any, str | None]] = []
        self.tasks: list[tuple[str, Callable[[], Any]]] = []
        self.hooks: list[tuple[Any, str | None]] = []

    def add_listener(self, listener: Any, name: str | None = None) -> None:
        self.listeners.append((listener, name))

    def add_task(self, name: str, factory: Callable[[], Any]) -> None:
        self.tasks.append((name, factory))

    def on_shutdown(self, hook: Any, name: str | None = None) -> None:
        self.hooks.append((hook, name))


@pytest.fixture
def recorded(tmp_path: Path) -> Iterator[FakeBridge]:
    monitor = tmp_path / "monitor"
    (monitor / DAY.removeprefix("/mon/")).mkdir(parents=True)
    (monitor / DAY.removeprefix("/mon/") / NAME).write_bytes(b"RIFF-plug-in")
    recordings = (
        f'[systems.tehran.recordings]\nkind = "folder"\nroot = "{monitor}"\n'
        "first_delay_s = 0\nretry_base_s = 0.01\nretry_max_s = 0.02\ngive_up_after_s = 2\n"
        "stable_wait_s = 0.01\n"
    )
    config = config_for(
        tmp_path, system_table("tehran", '["prod", "branch"]', recordings) + system_table("shiraz", '["branch"]')
    )
    bridge = FakeBridge(config)
    try:
        yield bridge
    finally:
        bridge.outbox.close()


def test_from_bridge_wires_one_fetcher_its_resume_task_and_its_shutdown(recorded: FakeBridge) -> None:
    from_bridge(recorded)
    ((listener, name),) = recorded.listeners
    assert isinstance(listener, _InEnvironments) and name == "recordings"
    assert dict(listener.environments) == {"tehran": ("prod", "branch")}
    assert [n for n, _ in recorded.tasks] == ["recordings-resume"] and len(recorded.hooks) == 1
    fetcher = listener.fetcher
    assert fetcher.policy_of("tehran").give_up_after_s == 2 and fetcher.policy_of("shiraz") == RecordingPolicy()
    assert Path(fetcher.jobs.path) == Path(recorded.config.bridge.outbox).with_name("recording-jobs.db")
    asyncio.run(recorded.hooks[0][0]())


def test_a_job_left_by_the_last_run_is_resumed_by_the_wired_task(recorded: FakeBridge) -> None:
    record = ended().record
    left = RecordingJobs(Path(recorded.config.bridge.outbox).with_name("recording-jobs.db"))
    monitor = recorded.config.systems["tehran"].recordings.root
    settings = dataclasses.replace(
        system(), recording=dataclasses.replace(system().recording, path=f"{monitor}/YYYY/MM/DD")
    )
    left.add(RecordingJob(record, {"prod": settings, "branch": settings}, 0.0, 4e9))
    left.close()
    from_bridge(recorded)

    async def main() -> None:
        assert await recorded.tasks[0][1]() == 1
        await recorded.listeners[0][0].fetcher.wait_idle()
        await recorded.hooks[0][0]()

    asyncio.run(main())
    for environment in ("prod", "branch"):
        note, row = (q.item for q in recorded.outbox.pending(environment))
        assert note.entity_set == "annotations" and row.body["comms_status"] == STATUS_ATTACHED


def test_no_recordings_table_registers_nothing(tmp_path: Path) -> None:
    bridge = FakeBridge(config_for(tmp_path, system_table("hq", '["prod"]')))
    try:
        from_bridge(bridge)
        assert bridge.listeners == bridge.tasks == bridge.hooks == []
        assert not (tmp_path / "state" / "recording-jobs.db").exists()
    finally:
        bridge.outbox.close()


def test_build_fetcher_has_a_store_per_system_with_a_table(recorded: FakeBridge) -> None:
    fetcher = build_fetcher(recorded.config, recorded.outbox)
    try:
        assert set(fetcher.stores) == {"tehran"} and fetcher.environment is None
    finally:
        asyncio.run(fetcher.aclose())


# -- bridge check -----------------------------------------------------------------------------


def test_check_reports_each_configured_store_and_skips_systems_without_one(tmp_path: Path) -> None:
    (tmp_path / "rec").mkdir()
    config = config_for(
        tmp_path,
        system_table("hq", '["prod"]', f'[systems.hq.recordings]\nkind = "folder"\nroot = "{tmp_path / "rec"}"\n')
        + system_table(
            "gone", '["prod"]', f'[systems.gone.recordings]\nkind = "folder"\nroot = "{tmp_path / "missing"}"\n'
        )
        + system_table("plain", '["branch"]'),
    )
    results = {r.name: r for r in asyncio.run(check_recordings(config))}
    assert set(results) == {"recordings of hq", "recordings of gone"}
    assert results["recordings of hq"].ok and "readable" in results["recordings of hq"].detail
    gone = results["recordings of gone"]
    assert not gone.ok and gone.detail.endswith("fix [systems.gone.recordings]")
    assert EXTRA_CHECKS["recordings"] is check_recordings
