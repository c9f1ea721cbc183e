"""CALL-44 end to end: ``commsuite release feed`` signs a wheelhouse, ``commsuite bridge update`` reads it as a
file: feed, downloads a real wheel, builds a real venv with ``python -m venv`` and an offline ``pip install
--no-index``, smoke-tests the new version, switches ``current`` (or leaves it when the smoke test fails), and
rolls back. Each test creates a venv (seconds)."""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

from bridge.runtime.updates_install import commsuite_of
from bridge.runtime.version import bridge_version
from cli.main import main
from tests.unit.bridge.test_config import ENV, MINIMAL
from tests.unit.bridge.updates_feed import PUBLIC, SIGNER, write_feed

from .fake_release import build_wheel

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SimpleNamespace:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    feed, root = tmp_path / "feed", tmp_path / "root"
    feed.mkdir()
    running = root / "venvs" / bridge_version()
    running.mkdir(parents=True)
    (root / "current").symlink_to(running.relative_to(root), target_is_directory=True)
    config = tmp_path / "bridge.toml"
    updates = f'[updates]\nfeed_url = "{(feed / "feed.json").as_uri()}"\npublic_key = "{PUBLIC}"\n'
    config.write_text(MINIMAL + updates + f"install_root = '{root}'\n")
    return SimpleNamespace(feed=feed, root=root, running=running, config=str(config))


def update(site: SimpleNamespace, action: str) -> int:
    return main(["bridge", "update", action, "--config", site.config])


def test_a_release_is_installed_switched_to_and_rolled_back(site: SimpleNamespace, tmp_path: Path) -> None:
    build_wheel(site.feed, "1.4.0")
    key = tmp_path / "release.key"
    key.write_bytes(SIGNER.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()))
    made = ["--version", "1.4.0", "--wheelhouse", str(site.feed), "--key", str(key), "--base-url", "https://r.example/"]
    assert main(["release", "feed", *made]) == 0
    assert update(site, "--check") == 3
    assert update(site, "--install") == 0
    current = site.root / "current"
    assert current.resolve() == (site.root / "venvs" / "1.4.0").resolve()
    reply = subprocess.run([str(commsuite_of(current)), "--version"], capture_output=True, text=True, check=True)
    assert reply.stdout.strip() == "commsuite 1.4.0"
    assert update(site, "--rollback") == 0
    assert current.resolve() == site.running.resolve()
    assert (site.root / "previous").resolve() == (site.root / "venvs" / "1.4.0").resolve()


def test_a_release_failing_its_smoke_test_is_not_switched_to(site: SimpleNamespace) -> None:
    write_feed(site.feed, "1.4.0", [build_wheel(site.feed, "1.4.0", check_status=2)])
    assert update(site, "--install") == 1
    assert (site.root / "current").resolve() == site.running.resolve()
    assert not (site.root / "venvs" / "1.4.0").exists()


def test_a_tampered_feed_installs_nothing(site: SimpleNamespace, capsys: pytest.CaptureFixture[str]) -> None:
    write_feed(site.feed, "1.4.0", [build_wheel(site.feed, "1.4.0")])
    feed = site.feed / "feed.json"
    feed.write_bytes(feed.read_bytes().replace(b'"signature": "', b'"signature": "AAAA'))
    assert update(site, "--install") == 1
    assert "signature does not verify" in capsys.readouterr().out
    assert not (site.root / "downloads").exists()
