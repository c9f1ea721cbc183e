"""CALL-44: taking a release without creating venvs: downloads are size-capped and SHA-256-checked, a failed
install or smoke test leaves `current` alone, the switch keeps `previous` for a rollback, and the automatic
path acts only inside the window (injected clock), once per version, then stops with the restart status."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from bridge.plugins import updates as updates_plugin
from bridge.runtime.service import RESTART_STATUS, run_service
from bridge.runtime.updates import UpdateChecker, read_release
from bridge.runtime.updates_download import ArtefactError, download_artefacts
from bridge.runtime.updates_install import InstallError, Layout, find_layout, roll_back
from bridge.runtime.updates_policy import parse_window
from bridge.runtime.updates_take import AutoInstaller, Installer, UpdateRefusedError, next_start
from bridge.runtime.version import bridge_version

from .updates_feed import artefact_entry, settings_for, write_feed

WHEEL = "commsuite-1.4.0-py3-none-any.whl"


class FakeRunner:
    """Stands in for subprocess.run: makes the venv folder, answers pip, --version and bridge check."""

    def __init__(self, *, pip: int = 0, version: str = "1.4.0", check: tuple[int, str] = (0, "all checks passed")):
        self.pip, self.version, self.check, self.commands = pip, version, check, []

    def __call__(self, command: list[str], **_: object) -> subprocess.CompletedProcess:
        self.commands.append(command)
        if command[1:3] == ["-m", "venv"]:
            (Path(command[3]) / "bin").mkdir(parents=True)
            return subprocess.CompletedProcess(command, 0, "", "")
        if "pip" in command:
            return subprocess.CompletedProcess(command, self.pip, "", "no matching distribution" if self.pip else "")
        if command[-1] == "--version":
            return subprocess.CompletedProcess(command, 0, f"commsuite {self.version}\n", "")
        return subprocess.CompletedProcess(command, self.check[0], self.check[1] + "\n", "")


@pytest.fixture
def site(tmp_path: Path) -> SimpleNamespace:
    feed, root = tmp_path / "feed", tmp_path / "root"
    feed.mkdir()
    (feed / WHEEL).write_bytes(b"PK" + b"w" * 100)
    (feed / "constraints.txt").write_text("requests==2.32.3\n")
    (root / "venvs" / "1.3.0").mkdir(parents=True)
    (root / "current").symlink_to("venvs/1.3.0", target_is_directory=True)
    url = write_feed(feed, "1.4.0", [feed / WHEEL, feed / "constraints.txt"])
    return SimpleNamespace(feed=feed, root=root, layout=Layout(root), url=url, config=tmp_path / "bridge.toml")


def installer(site: SimpleNamespace, run: FakeRunner, **settings: object) -> Installer:
    return Installer(settings_for(site.url, **settings), "1.3.0", site.config, layout=site.layout, run=run)


def test_a_release_is_installed_offline_smoke_tested_and_switched(site: SimpleNamespace) -> None:
    run = FakeRunner()
    venv = installer(site, run).take(read_release(settings_for(site.url)))
    assert site.layout.current.resolve() == venv.resolve() == (site.root / "venvs" / "1.4.0").resolve()
    assert site.layout.previous.resolve() == (site.root / "venvs" / "1.3.0").resolve()
    pip = next(command for command in run.commands if "pip" in command)
    assert [word for word in pip if word in ("--no-index", "-c")] == ["--no-index", "-c"]
    assert pip[-1].endswith(WHEEL) and str(site.root / "downloads" / "1.4.0") in pip
    assert run.commands[-1][-4:] == ["bridge", "check", "--config", str(site.config)]
    assert roll_back(site.layout).resolve() == (site.root / "venvs" / "1.3.0").resolve()
    assert site.layout.previous.resolve() == venv.resolve()
    with pytest.raises(UpdateRefusedError, match="rolled back from"):
        installer(site, run).take(read_release(settings_for(site.url)))
    installer(site, run).take(read_release(settings_for(site.url)), by_hand=True)
    assert site.layout.current.resolve() == venv.resolve() and not site.layout.held_back.exists()


@pytest.mark.parametrize(
    ("answers", "words"),
    [
        ({"pip": 1}, "pip install failed"),
        ({"version": "1.3.9"}, "not 1.4.0"),
        ({"check": (2, "bridge.toml: 1 problem")}, "bridge check failed (2)"),
        ({"check": (1, "Traceback (most recent call last):")}, "bridge check failed (1)"),
    ],
)
def test_a_failed_install_or_smoke_test_leaves_current_alone(site: SimpleNamespace, answers: dict, words: str) -> None:
    with pytest.raises(InstallError, match=re.escape(words)):
        installer(site, FakeRunner(**answers)).take(read_release(settings_for(site.url)))
    assert site.layout.current.resolve() == (site.root / "venvs" / "1.3.0").resolve()
    assert not (site.root / "venvs" / "1.4.0").exists() and not site.layout.previous.exists()


def test_a_check_that_only_finds_the_site_unreachable_passes(site: SimpleNamespace) -> None:
    run = FakeRunner(check=(1, "dataverse prod: FAILED timed out\n1 check(s) failed"))
    installer(site, run).take(read_release(settings_for(site.url)))
    assert site.layout.current.resolve() == (site.root / "venvs" / "1.4.0").resolve()


def test_an_older_release_is_refused_before_anything_is_downloaded(site: SimpleNamespace) -> None:
    take = Installer(settings_for(site.url), "1.4.0", site.config, layout=site.layout, run=FakeRunner())
    with pytest.raises(UpdateRefusedError, match="never a downgrade"):
        take.take(read_release(settings_for(site.url)))
    assert not (site.root / "downloads").exists()


@pytest.mark.parametrize(
    ("override", "words", "cap"),
    [
        ({"sha256": "cd" * 32}, "not the signed file", 1024 * 1024),
        ({"size": 50}, "larger than its signed size", 1024 * 1024),
        ({"size": 200}, "not the signed file", 1024 * 1024),
        ({}, "over max_artefact_bytes", 64),
        ({"url": "missing.whl"}, "could not be downloaded", 1024 * 1024),
    ],
)
def test_a_bad_artefact_is_deleted_and_stops_the_install(
    site: SimpleNamespace, override: dict, words: str, cap: int
) -> None:
    entry = artefact_entry(site.feed / WHEEL, **override)
    url = write_feed(site.feed, "1.4.0", [], artefacts=[entry])
    with pytest.raises(ArtefactError, match=words):
        download_artefacts(read_release(settings_for(url)), site.root / "dl", max_bytes=cap)
    assert list((site.root / "dl").iterdir()) == []


def test_only_https_and_file_urls_are_opened(site: SimpleNamespace) -> None:
    from bridge.runtime.updates_download import open_url

    with pytest.raises(ArtefactError, match="https or file"):
        open_url("ftp://mirror.example/x.whl")


def test_the_layout_is_found_from_the_running_venv(tmp_path: Path) -> None:
    (tmp_path / "venvs" / "1.3.0").mkdir(parents=True)
    assert find_layout(None, str(tmp_path / "venvs" / "1.3.0")).root == tmp_path.resolve()
    assert find_layout("/opt/x", "/usr").root == Path("/opt/x")
    with pytest.raises(InstallError, match="install_root"):
        find_layout(None, str(tmp_path))


class Clock:
    def __init__(self, at: str) -> None:
        self.now = datetime.fromisoformat(at)

    def __call__(self) -> datetime:
        return self.now


def test_the_automatic_path_acts_inside_the_window_once_per_version(site: SimpleNamespace) -> None:
    settings = settings_for(site.url, install="auto", window="02:00-04:00")
    checker, run, installed = UpdateChecker(settings, "1.3.0"), FakeRunner(pip=1), []
    take = Installer(settings, "1.3.0", site.config, layout=site.layout, run=run)
    clock = Clock("2026-12-06T14:00:00+03:30")
    auto = AutoInstaller(checker, take, installed.append, clock=clock)
    assert asyncio.run(auto.attempt()) is None and checker.latest is None  # outside: the feed is not even read
    clock.now = datetime.fromisoformat("2026-12-07T02:10:00+03:30")
    assert asyncio.run(auto.attempt()) is None and "pip install failed" in auto.failed["1.4.0"]
    assert checker.status()["problem"].startswith("1.4.0 was not installed: pip install failed")
    commands = len(run.commands)
    assert asyncio.run(auto.attempt()) is None and len(run.commands) == commands  # not retried this run
    auto.failed.clear()
    run.pip = 0
    assert asyncio.run(auto.attempt()) == "1.4.0" and installed == ["1.4.0"]


def test_the_next_window_start_is_today_or_tomorrow() -> None:
    window = parse_window("02:00-04:00")
    assert next_start(window, datetime(2026, 12, 6, 1, 0)) == datetime(2026, 12, 6, 2, 0)
    assert next_start(window, datetime(2026, 12, 6, 2, 30)) == datetime(2026, 12, 7, 2, 0)


def test_the_plug_in_installs_automatically_only_when_asked(site: SimpleNamespace) -> None:
    tasks: dict[str, object] = {}
    for install, expected in (("announce", ["updates"]), ("auto", ["updates", "updates-install"])):
        tasks.clear()
        config = SimpleNamespace(updates=settings_for(site.url, install=install), path=str(site.config))
        stops: list[str] = []
        bridge = SimpleNamespace(
            config=config,
            add_task=lambda name, factory: tasks.__setitem__(name, factory),
            request_stop=stops.append,
            exit_status=0,
        )
        updates_plugin.from_bridge(bridge)
        assert list(tasks) == expected
    tasks["updates-install"].__self__.on_installed("1.4.0")
    assert bridge.exit_status == RESTART_STATUS and stops == ["CommSuite 1.4.0 installed; restarting into it"]


def test_the_service_leaves_with_the_restart_status_when_threads_remain() -> None:
    import threading

    release, exits = threading.Event(), []
    worker = threading.Thread(target=release.wait, name="slow-dataverse")
    worker.start()

    async def main() -> None:
        return None

    try:
        run_service(main(), exit_now=exits.append, exit_status=lambda: RESTART_STATUS)
    finally:
        release.set()
        worker.join()
    assert exits == [RESTART_STATUS]


def test_download_streams_are_closed(site: SimpleNamespace) -> None:
    opened: list[io.BytesIO] = []

    def opener(url: str) -> io.BytesIO:
        opened.append(io.BytesIO((site.feed / url.rsplit("/", 1)[1]).read_bytes()))
        return opened[-1]

    files = download_artefacts(read_release(settings_for(site.url)), site.root / "dl", max_bytes=1 << 20, opener=opener)
    assert sorted(files) == ["commsuite-1.4.0-py3-none-any.whl", "constraints.txt"] and all(s.closed for s in opened)


def test_the_systemd_unit_runs_from_current_and_restarts_after_an_update() -> None:
    unit = (Path(__file__).resolve().parents[3] / "deploy" / "systemd" / "commsuite-bridge.service").read_text()
    assert "ExecStart=/opt/commsuite/current/bin/commsuite bridge run" in unit
    assert f"RestartForceExitStatus={RESTART_STATUS}" in unit.splitlines()


def test_commsuite_reports_its_version_for_the_smoke_test(capsys: pytest.CaptureFixture[str]) -> None:
    from cli.main import main

    with pytest.raises(SystemExit) as caught:
        main(["--version"])
    assert caught.value.code == 0 and capsys.readouterr().out.split() == ["commsuite", bridge_version()]
